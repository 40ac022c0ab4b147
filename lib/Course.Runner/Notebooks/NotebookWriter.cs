using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.DotNet.Interactive.Documents;
using Jupyter = Microsoft.DotNet.Interactive.Documents.Jupyter.Notebook;

namespace Course.Runner.Notebooks;

/// <summary>
/// Writes notebooks as nbformat 4.5 JSON the way Jupyter does: the Documents API's Jupyter serializer writes the cells, then a
/// fix-up puts back what it writes differently (see <see cref="Serialize"/>), sorts the keys, and writes 1-space indentation and
/// "\n" line ends on every OS, so a notebook read and written unchanged stays byte-identical.
/// </summary>
public static class NotebookWriter
{
    /// <summary>Writes the notebook to a file (creating the folder), replacing any existing file in one rename (a kill never leaves half a notebook).</summary>
    public static void WriteFile(InteractiveDocument notebook, string path) => Course.Runner.IO.AtomicFile.WriteAllText(path, Serialize(notebook));

    /// <summary>
    /// Serializes the notebook (not changed) to nbformat 4.5 JSON text ending with a newline. The Documents API writes a copy; the
    /// fix-up then restores JSON MIME values (it writes every value as lines of text and throws on objects), raw cells (it knows code
    /// and markdown only), attachments (it has none), null execution counts of results (it writes 0) and ids on cells without one.
    /// </summary>
    public static string Serialize(InteractiveDocument notebook)
    {
        var cells = notebook.Elements;
        var ids = CellIds(notebook);
        var document = new InteractiveDocument();
        foreach (var (key, value) in notebook.Metadata)
        {
            document.Metadata[key] = value;
        }

        for (var i = 0; i < cells.Count; i++)
        {
            document.Add(ForWriting(cells[i], ids[i]));
        }

        var written = JsonNode.Parse(Jupyter.ToJupyterJson(document))!.AsObject();
        var writtenCells = written["cells"]!.AsArray();
        for (var i = 0; i < cells.Count; i++)
        {
            var cell = writtenCells[i]!.AsObject();
            if (cells[i].IsRaw())
            {
                // Written by the Documents API as markdown (no outputs, no count); nbformat calls it raw.
                cell["cell_type"] = "raw";
            }

            if (cells[i].Attachments() is { } attachments)
            {
                cell["attachments"] = JsonSerializer.SerializeToNode(attachments);
            }

            var outputs = cell["outputs"] as JsonArray ?? [];
            for (var o = 0; o < outputs.Count; o++)
            {
                var output = outputs[o]!.AsObject();
                var model = cells[i].Outputs[o];
                if (model is ReturnValueElement { ExecutionOrder: 0 })
                {
                    output["execution_count"] = null;
                }

                if (output["data"] is JsonObject data && model.TryGetData(out var held))
                {
                    foreach (var mime in held.Keys.Where(held.HoldsJson))
                    {
                        // Handed to the Documents API as its JSON text (see ForWriting), parsed back into a JSON value here.
                        data[mime] = JsonNode.Parse(string.Concat(data[mime]!.AsArray().Select(line => (string)line!)));
                    }
                }
            }
        }

        return WriteJson(written) + "\n";
    }

    // A copy the Documents API can write without changing the notebook: a null kernel name keeps it from adding
    // dotnet_interactive.language to a code cell's metadata (the cell's own polyglot_notebook metadata stays), and JSON values go in as text.
    private static InteractiveDocumentElement ForWriting(InteractiveDocumentElement cell, string id)
    {
        var metadata = cell.Metadata is null ? new Dictionary<string, object>() : new Dictionary<string, object>(cell.Metadata);
        if (!cell.IsCode())
        {
            metadata.Remove(NotebookCells.AttachmentsKey);
        }

        var outputs = cell.IsCode() ? cell.Outputs.Select(ForWriting) : [];
        return new InteractiveDocumentElement(cell.Contents, cell.IsCode() ? null : NotebookCells.MarkdownKernel, outputs)
        {
            Id = id,
            ExecutionOrder = cell.ExecutionOrder,
            Metadata = metadata,
        };
    }

    private static InteractiveDocumentOutputElement ForWriting(InteractiveDocumentOutputElement output)
    {
        if (!output.TryGetData(out var data) || !data.Keys.Any(data.HoldsJson))
        {
            return output;
        }

        var copy = output.Copy();
        copy.TryGetData(out var text);
        foreach (var mime in data.Keys.Where(data.HoldsJson))
        {
            text[mime] = data.TryGetText(mime, out var json) ? json : "";
        }

        return copy;
    }

    // nbformat 4.5 requires a unique id on every cell; the Documents API writes a cell without one as it is.
    private static string[] CellIds(InteractiveDocument notebook)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        var ids = new string[notebook.Elements.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            var id = notebook.Elements[i].Id ?? notebook.NewCellId(i);
            while (!used.Add(id))
            {
                id += "-dup";
            }

            ids[i] = id;
        }

        return ids;
    }

    // Kept: Jupyter sorts keys (json.dumps(sort_keys=True)); the Documents API does not, so files would churn when opened in Jupyter and saved by us.
    /// <summary>Writes any JSON tree in the notebook style (sorted keys, 1-space indentation, non-ASCII kept).</summary>
    public static string WriteJson(JsonNode node)
    {
        var sorted = SortKeys(node);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions
        {
            Indented = true,
            IndentSize = 1,
            NewLine = "\n",
            // Like Python's ensure_ascii=False: keep text readable and diff-friendly.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            sorted?.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static JsonNode? SortKeys(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => new KeyValuePair<string, JsonNode?>(p.Key, SortKeys(p.Value)))),
        JsonArray array => new JsonArray(array.Select(SortKeys).ToArray()),
        null => null,
        _ => node.DeepClone(),
    };
}
