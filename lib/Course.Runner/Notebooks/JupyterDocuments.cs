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
            document.Metadata[key] = value!.DeepClone();
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
                if (model.Outputs[o] is ExecuteResultOutput { ExecutionCount: null })
                {
                    // The Documents API writes 0 for a result without a count; nbformat says null.
                    output["execution_count"] = null;
                }

                if (output["data"] is JsonObject data && model.Outputs[o] is MimeOutput mimeOutput)
                {
                    foreach (var mime in data.Select(p => p.Key).Where(mimeOutput.Data.HoldsJson).ToList())
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

    private static InteractiveDocumentOutputElement ToOutputElement(CellOutput output)
    {
        switch (output)
        {
            case StreamOutput stream:
                return new TextElement(stream.Text, stream.Name);
            case ErrorOutput error:
                return new ErrorElement(error.ErrorValue, error.ErrorName, [.. error.Traceback]);
            case ExecuteResultOutput result:
                var value = new ReturnValueElement { ExecutionOrder = result.ExecutionCount ?? 0 };
                CopyBundle(result, value.Data, value.Metadata);
                return value;
            case DisplayDataOutput display:
                var shown = new DisplayElement(new Dictionary<string, object>());
                CopyBundle(display, shown.Data, shown.Metadata);
                return shown;
            default:
                throw new ArgumentException($"Unknown output kind {output.GetType().Name}.", nameof(output));
        }
    }

    private static void CopyBundle(MimeOutput output, IDictionary<string, object> data, IDictionary<string, object> metadata)
    {
        foreach (var mime in output.Data.MimeTypes)
        {
            // A JSON value goes in as its one-line JSON text, for Fix to parse back.
            data[mime] = output.Data.TryGetText(mime, out var text) ? text : "";
        }

        foreach (var (key, value) in output.Metadata)
        {
            metadata[key] = value!.DeepClone();
        }
    }

    private static NotebookCell FromElement(InteractiveDocumentElement element, JsonObject read)
    {
        // Cell type, attachments and null execution counts come from the checked JSON: the Documents API reads raw cells as code and drops the rest.
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

        var outputs = read["outputs"] as JsonArray ?? [];
        for (var o = 0; o < element.Outputs.Count; o++)
        {
            cell.Outputs.Add(FromOutputElement(element.Outputs[o], (JsonObject)outputs[o]!));
        }

        return cell;
    }

    private static CellOutput FromOutputElement(InteractiveDocumentOutputElement output, JsonObject read) => output switch
    {
        TextElement text => new StreamOutput(text.Name, text.Text),
        ErrorElement error => new ErrorOutput(error.ErrorName, error.ErrorValue, error.StackTrace),
        // A result read with a null (or absent) count keeps it null; the Documents API makes it 0.
        ReturnValueElement result => new ExecuteResultOutput(read["execution_count"] is null ? null : result.ExecutionOrder, ToBundle(result.Data), ToJsonObject(result.Metadata)),
        DisplayElement display => new DisplayDataOutput(ToBundle(display.Data), ToJsonObject(display.Metadata)),
        _ => throw new ArgumentException($"Unknown output element {output.GetType().Name}.", nameof(output)),
    };

    private static MimeBundle ToBundle(IDictionary<string, object> data)
    {
        var bundle = new MimeBundle();
        foreach (var (mime, value) in data)
        {
            switch (value)
            {
                case string text:
                    bundle.SetText(mime, text);
                    break;
                case object[] lines when !MimeBundle.IsJsonMimeType(mime) && lines.All(l => l is string):
                    bundle.SetText(mime, string.Concat(lines.Cast<string>()));
                    break;
                default:
                    bundle.SetJson(mime, JsonSerializer.SerializeToNode(value) ?? JsonValue.Create((string?)null)!);
                    break;
            }
        }

        return bundle;
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
