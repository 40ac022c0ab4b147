using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Course.Runner.Notebooks;

/// <summary>Writes notebooks as nbformat 4.5 JSON the way Jupyter does: the Documents API writes the cells, and the keys are sorted with 1-space indentation and "\n" line ends on every OS (it writes the OS's line ends and keys in reading order).</summary>
public static class NotebookWriter
{
    /// <summary>Writes the notebook to a file (creating the folder), replacing any existing file in one rename (a kill never leaves half a notebook).</summary>
    public static void WriteFile(Notebook notebook, string path) => Course.Runner.IO.AtomicFile.WriteAllText(path, Serialize(notebook));

    /// <summary>Serializes the notebook to nbformat 4.5 JSON text (ending with a newline) through Microsoft.DotNet.Interactive.Documents.</summary>
    public static string Serialize(Notebook notebook) => JupyterDocuments.ToJupyterJson(notebook);

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
