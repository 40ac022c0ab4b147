using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Notebooks;

/// <summary>
/// How the course reads and makes the Documents API's outputs (TextElement, DisplayElement, ReturnValueElement, ErrorElement). A MIME
/// value is text (a string, or lines of it as the Documents API reads them) or JSON (a JsonNode as the executor makes it, or the
/// dictionaries, arrays and numbers the Documents API reads).
/// </summary>
/// <remarks>Kept: the Documents API types MIME values as object and has no public common type for display_data and execute_result (its IDataElement is internal).</remarks>
public static class NotebookOutputs
{
    /// <summary>The stream name used by nbformat for standard output.</summary>
    public const string Stdout = "stdout";

    /// <summary>The stream name used by nbformat for standard error.</summary>
    public const string Stderr = "stderr";

    /// <summary>True when nbformat stores this MIME type as JSON (application/json or any type ending in +json) rather than as text.</summary>
    public static bool IsJsonMimeType(string mimeType) =>
        mimeType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
        || mimeType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);

    /// <summary>The nbformat output_type of an output: stream, display_data, execute_result or error.</summary>
    public static string OutputType(this InteractiveDocumentOutputElement output) => output switch
    {
        TextElement => "stream",
        DisplayElement => "display_data",
        ReturnValueElement => "execute_result",
        ErrorElement => "error",
        _ => throw new ArgumentException($"Unknown output element {output.GetType().Name}.", nameof(output)),
    };

    /// <summary>The MIME data of a display_data or execute_result output; false for streams and errors.</summary>
    public static bool TryGetData(this InteractiveDocumentOutputElement output, out IDictionary<string, object> data)
    {
        data = output switch
        {
            DisplayElement display => display.Data,
            ReturnValueElement result => result.Data,
            _ => null!,
        };
        return data is not null;
    }

    /// <summary>The MIME data of every display_data and execute_result output among these.</summary>
    public static IEnumerable<IDictionary<string, object>> MimeData(this IEnumerable<InteractiveDocumentOutputElement> outputs)
    {
        foreach (var output in outputs)
        {
            if (output.TryGetData(out var data))
            {
                yield return data;
            }
        }
    }

    /// <summary>A display_data output of these MIME values.</summary>
    public static DisplayElement Display(IDictionary<string, object> data) => new(data);

    /// <summary>An execute_result output of these MIME values (execution count 0: none).</summary>
    public static ReturnValueElement Result(int executionCount, IDictionary<string, object> data)
    {
        var result = new ReturnValueElement { ExecutionOrder = executionCount };
        foreach (var (mime, value) in data)
        {
            result.Data[mime] = value;
        }

        return result;
    }

    /// <summary>An error output: its name (nbformat ename), message (evalue) and traceback lines.</summary>
    public static ErrorElement Error(string name, string message, IEnumerable<string> traceback) => new(message, name, [.. traceback]);

    /// <summary>Gets the text of a MIME value (a JSON one is returned serialized).</summary>
    public static bool TryGetText(this IDictionary<string, object> data, string mimeType, out string text)
    {
        text = data.TryGetValue(mimeType, out var value) switch
        {
            false => "",
            true => value switch
            {
                string s => s,
                JsonNode node => node.ToJsonString(),
                IEnumerable<object> lines when !IsJsonMimeType(mimeType) && lines.All(l => l is string) => string.Concat(lines),
                // A JSON null, the only null the reader lets through.
                null => "null",
                _ => JsonSerializer.Serialize(value),
            },
        };
        return data.ContainsKey(mimeType);
    }

    /// <summary>Gets a MIME value as JSON; a text one is parsed when it holds JSON.</summary>
    public static bool TryGetJson(this IDictionary<string, object> data, string mimeType, out JsonNode? json)
    {
        json = null;
        if (!data.TryGetValue(mimeType, out var value))
        {
            return false;
        }

        try
        {
            json = value switch
            {
                JsonNode node => node,
                string s => JsonNode.Parse(s),
                _ when !IsJsonMimeType(mimeType) && data.TryGetText(mimeType, out var text) => JsonNode.Parse(text),
                _ => JsonSerializer.SerializeToNode(value),
            };
            return json is not null;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>True when the MIME value is held as JSON (written as a JSON value, not as lines of text).</summary>
    public static bool HoldsJson(this IDictionary<string, object> data, string mimeType) =>
        data.TryGetValue(mimeType, out var value) && (value is JsonNode || (IsJsonMimeType(mimeType) && value is not string));

    /// <summary>Copies an output so that the copy can be changed independently.</summary>
    public static InteractiveDocumentOutputElement Copy(this InteractiveDocumentOutputElement output)
    {
        switch (output)
        {
            case DisplayElement display:
                var shown = new DisplayElement(CopyValues(display.Data));
                CopyInto(display.Metadata, shown.Metadata);
                return shown;
            case ReturnValueElement result:
                var copy = Result(result.ExecutionOrder, CopyValues(result.Data));
                CopyInto(result.Metadata, copy.Metadata);
                return copy;
            default:
                // Streams and errors cannot change once made.
                return output;
        }
    }

    /// <summary>The characters an output keeps (text and JSON), for the per-cell cap.</summary>
    public static long Size(this InteractiveDocumentOutputElement output) => output switch
    {
        TextElement stream => stream.Text.Length,
        ErrorElement error => error.ErrorValue.Length + error.StackTrace.Sum(l => (long)l.Length),
        _ when output.TryGetData(out var data) => data.Keys.Sum(mime => data.TryGetText(mime, out var text) ? (long)text.Length : 0),
        _ => 0,
    };

    private static Dictionary<string, object> CopyValues(IDictionary<string, object> data) => Metadata.CopyDictionary(data);

    private static void CopyInto(IDictionary<string, object> from, IDictionary<string, object> to)
    {
        foreach (var (key, value) in from)
        {
            to[key] = Metadata.Copy(value)!;
        }
    }
}
