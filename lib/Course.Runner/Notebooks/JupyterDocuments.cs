using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.DotNet.Interactive.Documents;
using Jupyter = Microsoft.DotNet.Interactive.Documents.Jupyter.Notebook;

namespace Course.Runner.Notebooks;

/// <summary>The adapter between the course's notebooks and Microsoft.DotNet.Interactive.Documents: .ipynb is parsed and written by its Jupyter API, and the few things it writes differently from nbformat 4.5 as the course keeps it are put back here.</summary>
public static class JupyterDocuments
{
    /// <summary>Parses .ipynb text with the Documents API into the course's notebook; root is the same text already checked by <see cref="NotebookReader"/>, read for what the Documents API drops.</summary>
    public static Notebook Parse(string json, JsonObject root)
    {
        var document = Jupyter.Parse(json);
        var cells = (JsonArray)root["cells"]!;
        var notebook = new Notebook(ToJsonObject(document.Metadata), (int)root["nbformat_minor"]!);
        for (var i = 0; i < document.Elements.Count; i++)
        {
            notebook.Cells.Add(FromElement(document.Elements[i], (JsonObject)cells[i]!));
        }

        return notebook;
    }

    /// <summary>Writes the notebook as .ipynb text through the Documents API, then applies the course's fixes (see <see cref="Fix"/>).</summary>
    public static string ToJupyterJson(Notebook notebook)
    {
        var ids = CellIds(notebook);
        var document = new InteractiveDocument();
        foreach (var (key, value) in notebook.Metadata)
        {
            // A key set to JSON null (the schema allows it in metadata) stays null.
            document.Metadata[key] = value?.DeepClone()!;
        }

        for (var i = 0; i < notebook.Cells.Count; i++)
        {
            document.Add(ToElement(notebook.Cells[i], ids[i]));
        }

        var written = JsonNode.Parse(Jupyter.ToJupyterJson(document))!.AsObject();
        Fix(written, notebook);
        return NotebookWriter.WriteJson(written) + "\n";
    }

    /// <summary>Puts back what the Documents API writes differently: <c>+json</c> values, raw cells, attachments and missing execution counts.</summary>
    private static void Fix(JsonObject written, Notebook notebook)
    {
        var cells = written["cells"]!.AsArray();
        for (var i = 0; i < notebook.Cells.Count; i++)
        {
            var model = notebook.Cells[i];
            var cell = cells[i]!.AsObject();
            if (model.CellType == CellType.Raw)
            {
                // The Documents API knows only code and markdown cells; a raw cell would come back as code to be run.
                cell["cell_type"] = "raw";
                cell.Remove("execution_count");
                cell.Remove("outputs");
            }

            if (model.Attachments is not null && model.CellType != CellType.Code)
            {
                // The Documents API neither reads nor writes attachments; an image pasted into markdown would be lost.
                cell["attachments"] = model.Attachments.DeepClone();
            }

            var outputs = cell["outputs"] as JsonArray ?? [];
            for (var o = 0; o < outputs.Count; o++)
            {
                var output = outputs[o]!.AsObject();
                if (model.Outputs[o] is ReturnValueElement { ExecutionOrder: 0 })
                {
                    // The Documents API writes 0 for a result without a count; nbformat says null.
                    output["execution_count"] = null;
                }

                if (output["data"] is JsonObject data && model.Outputs[o].TryGetData(out var held))
                {
                    foreach (var mime in data.Select(p => p.Key).Where(held.HoldsJson).ToList())
                    {
                        // The Documents API writes every MIME value as a list of lines (and throws on objects): it was handed the JSON text, parsed back here.
                        data[mime] = JsonNode.Parse(string.Concat(data[mime]!.AsArray().Select(line => (string)line!)));
                    }
                }
            }
        }
    }

    private static InteractiveDocumentElement ToElement(NotebookCell cell, string id)
    {
        // A null kernel name keeps the Documents API from adding dotnet_interactive.language to every code cell; the cell's own polyglot_notebook metadata stays.
        var element = new InteractiveDocumentElement(cell.Source, cell.CellType == CellType.Markdown ? "markdown" : null)
        {
            Id = id,
            ExecutionOrder = cell.ExecutionCount ?? 0,
            Metadata = ToDictionary(cell.Metadata),
        };

        if (cell.CellType == CellType.Code)
        {
            element.Outputs.AddRange(cell.Outputs.Select(ToOutputElement));
        }

        return element;
    }

    // The Documents API writes every MIME value as lines of text and throws on anything else: a JSON value goes in as its one-line JSON text, for Fix to parse back.
    private static InteractiveDocumentOutputElement ToOutputElement(InteractiveDocumentOutputElement output)
    {
        if (!output.TryGetData(out var data))
        {
            return output;
        }

        var copy = output.Copy();
        copy.TryGetData(out var written);
        foreach (var mime in data.Keys)
        {
            written[mime] = data.TryGetText(mime, out var text) ? text : "";
        }

        return copy;
    }

    private static NotebookCell FromElement(InteractiveDocumentElement element, JsonObject read)
    {
        // Cell type and attachments come from the checked JSON: the Documents API reads raw cells as code and drops attachments.
        CellTypeNames.TryParse((string?)read["cell_type"], out var type);
        var cell = new NotebookCell(type, element.Contents, element.Id, ToJsonObject(element.Metadata))
        {
            ExecutionCount = element.ExecutionOrder > 0 ? element.ExecutionOrder : null,
            Attachments = read["attachments"] is JsonObject attachments && type != CellType.Code ? (JsonObject)attachments.DeepClone() : null,
        };

        if (type != CellType.Code)
        {
            return cell;
        }

        cell.Outputs.AddRange(element.Outputs.Select(FromOutputElement));

        return cell;
    }

    // The Documents API reads text as a string or an array of lines and JSON as dictionaries of objects: the course keeps text as one string and JSON as JsonNode.
    private static InteractiveDocumentOutputElement FromOutputElement(InteractiveDocumentOutputElement output)
    {
        if (!output.TryGetData(out var data))
        {
            return output;
        }

        foreach (var mime in data.Keys.ToList())
        {
            // Typed object: JsonNode's implicit conversion from string would otherwise turn the text into JSON strings.
            data[mime] = data[mime] switch
            {
                string text => (object)text,
                object[] lines when !NotebookOutputs.IsJsonMimeType(mime) => string.Concat(lines.Cast<string>()),
                var value => JsonSerializer.SerializeToNode(value) ?? JsonValue.Create((string?)null)!,
            };
        }

        var metadata = output is DisplayElement display ? display.Metadata : ((ReturnValueElement)output).Metadata;
        foreach (var key in metadata.Keys.ToList())
        {
            metadata[key] = JsonSerializer.SerializeToNode(metadata[key])!;
        }

        return output;
    }

    // The Documents API keeps metadata as dictionaries of objects (numbers as double); the course works on JSON nodes.
    private static JsonObject ToJsonObject(IDictionary<string, object>? metadata) =>
        metadata is null ? [] : JsonSerializer.SerializeToNode(metadata)?.AsObject() ?? [];

    private static Dictionary<string, object> ToDictionary(JsonObject metadata) =>
        metadata.ToDictionary(p => p.Key, p => (object)p.Value?.DeepClone()!);

    // nbformat 4.5 requires a unique id on every cell; the Documents API writes a cell without one as it is.
    private static string[] CellIds(Notebook notebook)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        var ids = new string[notebook.Cells.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            var id = notebook.Cells[i].Id ?? notebook.NewCellId(i);
            while (!used.Add(id))
            {
                id += "-dup";
            }

            ids[i] = id;
        }

        return ids;
    }
}
