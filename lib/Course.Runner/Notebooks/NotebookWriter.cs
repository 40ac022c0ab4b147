using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Course.Runner.Notebooks;

/// <summary>Writes notebooks as nbformat 4.5 JSON the way Jupyter does: sorted keys, 1-space indentation, text as lists of lines.</summary>
public static class NotebookWriter
{
    /// <summary>Writes the notebook to a file (creating the folder), replacing any existing file in one rename (a kill never leaves half a notebook).</summary>
    public static void WriteFile(Notebook notebook, string path) => Course.Runner.IO.AtomicFile.WriteAllText(path, Serialize(notebook));

    /// <summary>Serializes the notebook to nbformat 4.5 JSON text (ending with a newline).</summary>
    public static string Serialize(Notebook notebook)
    {
        var root = ToJson(notebook);
        return WriteJson(root) + "\n";
    }

    /// <summary>Builds the nbformat JSON tree of the notebook (cells without ids get one, as 4.5 requires).</summary>
    public static JsonObject ToJson(Notebook notebook)
    {
        var cells = new JsonArray();
        var usedIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < notebook.Cells.Count; i++)
        {
            var cell = notebook.Cells[i];
            var id = cell.Id ?? notebook.NewCellId(i);
            while (!usedIds.Add(id))
            {
                id += "-dup";
            }

            cells.Add(CellToJson(cell, id));
        }

        return new JsonObject
        {
            ["cells"] = cells,
            ["metadata"] = notebook.Metadata.DeepClone(),
            ["nbformat"] = Notebook.FormatMajor,
            ["nbformat_minor"] = Math.Max(notebook.NbFormatMinor, Notebook.FormatMinor),
        };
    }

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

    private static JsonObject CellToJson(NotebookCell cell, string id)
    {
        var obj = new JsonObject
        {
            ["cell_type"] = cell.CellTypeName,
            ["id"] = id,
            ["metadata"] = cell.Metadata.DeepClone(),
            ["source"] = MultilineText.ToJson(cell.Source),
        };

        if (cell.CellType == CellType.Code)
        {
            obj["execution_count"] = cell.ExecutionCount;
            obj["outputs"] = new JsonArray(cell.Outputs.Select(o => (JsonNode?)OutputToJson(o)).ToArray());
        }
        else if (cell.Attachments is not null)
        {
            obj["attachments"] = cell.Attachments.DeepClone();
        }

        return obj;
    }

    private static JsonObject OutputToJson(CellOutput output)
    {
        switch (output)
        {
            case StreamOutput stream:
                return new JsonObject
                {
                    ["name"] = stream.Name,
                    ["output_type"] = "stream",
                    ["text"] = MultilineText.ToJson(stream.Text),
                };
            case ExecuteResultOutput result:
                return new JsonObject
                {
                    ["data"] = BundleToJson(result.Data),
                    ["execution_count"] = result.ExecutionCount,
                    ["metadata"] = result.Metadata.DeepClone(),
                    ["output_type"] = "execute_result",
                };
            case DisplayDataOutput display:
                return new JsonObject
                {
                    ["data"] = BundleToJson(display.Data),
                    ["metadata"] = display.Metadata.DeepClone(),
                    ["output_type"] = "display_data",
                };
            case ErrorOutput error:
                return new JsonObject
                {
                    ["ename"] = error.ErrorName,
                    ["evalue"] = error.ErrorValue,
                    ["output_type"] = "error",
                    ["traceback"] = new JsonArray(error.Traceback.Select(l => (JsonNode?)JsonValue.Create(l)).ToArray()),
                };
            default:
                throw new ArgumentException($"Unknown output kind {output.GetType().Name}.", nameof(output));
        }
    }

    private static JsonObject BundleToJson(MimeBundle bundle)
    {
        var data = new JsonObject();
        foreach (var (mime, value) in bundle)
        {
            data[mime] = value;
        }

        return data;
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
