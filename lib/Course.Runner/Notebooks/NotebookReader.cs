using System.Text.Json;
using System.Text.Json.Nodes;

namespace Course.Runner.Notebooks;

/// <summary>Reads nbformat 4 notebooks from JSON, reporting malformed files with the file, the position and the fix.</summary>
public static class NotebookReader
{
    /// <summary>Reads a notebook file.</summary>
    /// <exception cref="NotebookFormatException">The file is missing, not JSON, or not an nbformat 4 notebook.</exception>
    public static Notebook ReadFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NotebookFormatException(path,
                $"Cannot read notebook {path}: {e.Message} Fix: check that the file exists and is readable.", e);
        }

        return Parse(text, path);
    }

    /// <summary>Parses notebook JSON; sourceName (usually the path) is used in error messages.</summary>
    /// <exception cref="NotebookFormatException">The text is not JSON or not an nbformat 4 notebook.</exception>
    public static Notebook Parse(string json, string sourceName)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 256, AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            var line = (e.LineNumber ?? 0) + 1;
            var position = (e.BytePositionInLine ?? 0) + 1;
            throw new NotebookFormatException(sourceName,
                $"Notebook {sourceName} is not valid JSON: {StripPosition(e.Message)} (line {line}, position {position}). "
                + "Fix: repair the JSON near that spot (often a missing comma, quote or bracket after a hand edit), "
                + "or re-save the notebook from VS Code / Jupyter, or restore it from git.", e);
        }

        // The Documents API accepts what nbformat does not (duplicate keys, other versions, missing fields) or fails without saying where: check first.
        var checker = new Checker(sourceName);
        var checkedRoot = checker.CheckNotebook(root);
        try
        {
            return JupyterDocuments.Parse(checker.Repaired ? checkedRoot.ToJsonString() : json, checkedRoot);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException or FormatException)
        {
            throw new NotebookFormatException(sourceName,
                $"Notebook {sourceName} could not be read by Microsoft.DotNet.Interactive.Documents: {e.Message.Split('\n')[0]} "
                + "Fix: re-save the notebook from VS Code / Jupyter, or restore it from git.", e);
        }
    }

    private static string StripPosition(string message)
    {
        // System.Text.Json appends its own 0-based "LineNumber: x | BytePositionInLine: y."; we report 1-based positions instead.
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut >= 0 ? message[..cut] : message).TrimEnd();
    }

    // What the course checks before the Documents API reads: every problem named with its JSON path and the fix.
    private sealed class Checker(string sourceName)
    {
        /// <summary>True when the check replaced something the Documents API cannot read; then the checked tree is what it reads.</summary>
        public bool Repaired { get; private set; }

        public JsonObject CheckNotebook(JsonNode? root)
        {
            if (root is not JsonObject obj)
            {
                throw Structure("the top level is not a JSON object", "$",
                    "a notebook is an object with \"cells\", \"metadata\", \"nbformat\" and \"nbformat_minor\"; check that you opened the .ipynb file and not another JSON file");
            }

            var major = ReadInt(obj, "nbformat", "$", required: true)!.Value;
            if (major != Notebook.FormatMajor)
            {
                throw Structure($"nbformat is {major}, but only nbformat 4 is supported", "$.nbformat",
                    "convert it with: jupyter nbconvert --to notebook --nbformat 4 <file>, or re-save it from VS Code / Jupyter");
            }

            ReadInt(obj, "nbformat_minor", "$", required: true);
            if (obj["metadata"] is not (null or JsonObject))
            {
                throw Structure("\"metadata\" is not an object", "$.metadata", "make \"metadata\" a JSON object (it may be empty: {})");
            }

            if (obj["cells"] is not JsonArray cells)
            {
                throw Structure(obj.ContainsKey("cells") ? "\"cells\" is not an array" : "there is no \"cells\" array", "$.cells",
                    "a notebook needs \"cells\": [ ... ] (an empty list is fine)");
            }

            for (var i = 0; i < cells.Count; i++)
            {
                CheckCell(cells[i], i);
            }

            return obj;
        }

        private void CheckCell(JsonNode? node, int index)
        {
            var path = $"$.cells[{index}]";
            if (node is not JsonObject obj)
            {
                throw Structure($"cell {index + 1} is not a JSON object", path, "each entry of \"cells\" must be an object with cell_type, metadata and source");
            }

            var typeName = ReadString(obj, "cell_type", path, required: true);
            if (!CellTypeNames.TryParse(typeName, out var type))
            {
                throw Structure($"cell {index + 1} has cell_type \"{typeName}\"", $"{path}.cell_type",
                    "use \"code\", \"markdown\" or \"raw\"");
            }

            if (!IsMultilineText(obj["source"]))
            {
                throw Structure($"cell {index + 1} has no source text (\"source\" must be a string or a list of strings)", $"{path}.source",
                    "give the cell \"source\": \"...\" or \"source\": [\"line 1\\n\", \"line 2\"]");
            }

            if (obj["metadata"] is not (null or JsonObject))
            {
                throw Structure($"cell {index + 1} metadata is not an object", $"{path}.metadata", "make the cell's \"metadata\" a JSON object (it may be empty: {})");
            }

            if (obj["metadata"] is null && obj.ContainsKey("metadata"))
            {
                // The Documents API fails with a NullReferenceException on "metadata": null; read it as empty, as before.
                obj["metadata"] = new JsonObject();
                Repaired = true;
            }

            ReadString(obj, "id", path, required: false);
            if (type != CellType.Code)
            {
                return;
            }

            ReadInt(obj, "execution_count", path, required: false);
            if (obj["outputs"] is JsonArray outputs)
            {
                for (var o = 0; o < outputs.Count; o++)
                {
                    CheckOutput(outputs[o], index, $"{path}.outputs[{o}]");
                }
            }
            else if (obj["outputs"] is not null)
            {
                throw Structure($"cell {index + 1} \"outputs\" is not an array", $"{path}.outputs", "make \"outputs\" a list (an empty list is fine)");
            }
        }

        private void CheckOutput(JsonNode? node, int cellIndex, string path)
        {
            if (node is not JsonObject obj)
            {
                throw Structure($"an output of cell {cellIndex + 1} is not an object", path, "clear the cell's outputs (\"outputs\": []) and run it again");
            }

            var type = ReadString(obj, "output_type", path, required: true);
            switch (type)
            {
                case "stream":
                    ReadString(obj, "name", path, required: true);
                    if (!IsMultilineText(obj["text"]))
                    {
                        throw Structure($"a stream output of cell {cellIndex + 1} has no text", $"{path}.text", "clear the cell's outputs and run it again");
                    }

                    break;
                case "display_data":
                    CheckBundle(obj, cellIndex, path);
                    break;
                case "execute_result":
                    ReadInt(obj, "execution_count", path, required: false);
                    CheckBundle(obj, cellIndex, path);
                    break;
                case "error":
                    ReadString(obj, "ename", path, required: false);
                    ReadString(obj, "evalue", path, required: false);
                    if (obj["traceback"] is not (null or JsonArray) || (obj["traceback"] is JsonArray lines && !IsMultilineText(lines)))
                    {
                        throw Structure($"the error output of cell {cellIndex + 1} has a traceback that is not a list of strings", $"{path}.traceback",
                            "clear the cell's outputs and run it again");
                    }

                    break;
                default:
                    throw Structure($"an output of cell {cellIndex + 1} has output_type \"{type}\"", $"{path}.output_type",
                        "nbformat 4 outputs are stream, display_data, execute_result or error; clear the cell's outputs and run it again");
            }

            if (obj["metadata"] is not (null or JsonObject))
            {
                throw Structure($"an output of cell {cellIndex + 1} has metadata that is not an object", $"{path}.metadata", "clear the cell's outputs and run it again");
            }
        }

        private void CheckBundle(JsonObject output, int cellIndex, string path)
        {
            if (output["data"] is not (null or JsonObject))
            {
                throw Structure($"an output of cell {cellIndex + 1} has \"data\" that is not an object", $"{path}.data", "clear the cell's outputs and run it again");
            }

            foreach (var (mime, value) in output["data"] as JsonObject ?? [])
            {
                if (!NotebookOutputs.IsJsonMimeType(mime) && !IsMultilineText(value))
                {
                    throw Structure($"output data \"{mime}\" of cell {cellIndex + 1} is neither text nor a list of lines", $"{path}.data",
                        "clear the cell's outputs and run it again");
                }
            }
        }

        // nbformat's "multiline string": a string, or a list of strings.
        private static bool IsMultilineText(JsonNode? node) => node switch
        {
            JsonValue value => value.GetValueKind() == JsonValueKind.String,
            JsonArray array => array.All(item => item is JsonValue v && v.GetValueKind() == JsonValueKind.String),
            _ => false,
        };

        private string? ReadString(JsonObject obj, string key, string path, bool required)
        {
            var node = obj[key];
            if (node is null)
            {
                if (required)
                {
                    throw Structure($"\"{key}\" is missing", $"{path}.{key}", $"add \"{key}\" (compare with a notebook saved by VS Code / Jupyter)");
                }

                return null;
            }

            if (node is JsonValue v && v.TryGetValue<string>(out var s))
            {
                return s;
            }

            throw Structure($"\"{key}\" is not a string", $"{path}.{key}", $"make \"{key}\" a JSON string");
        }

        private int? ReadInt(JsonObject obj, string key, string path, bool required)
        {
            var node = obj[key];
            if (node is null)
            {
                if (required)
                {
                    throw Structure($"\"{key}\" is missing", $"{path}.{key}",
                        key.StartsWith("nbformat", StringComparison.Ordinal)
                            ? "add \"nbformat\": 4 and \"nbformat_minor\": 5 at the top level"
                            : $"add \"{key}\"");
                }

                return null;
            }

            if (node is JsonValue v && v.TryGetValue<int>(out var i))
            {
                return i;
            }

            throw Structure($"\"{key}\" is not an integer", $"{path}.{key}", $"make \"{key}\" a whole number");
        }

        private NotebookFormatException Structure(string problem, string jsonPath, string fix) =>
            new(sourceName, $"Notebook {sourceName} is not an nbformat 4 notebook: {problem} (at {jsonPath}). Fix: {fix}.");
    }
}
