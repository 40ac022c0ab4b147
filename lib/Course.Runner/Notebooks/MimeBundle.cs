using System.Collections;
using System.Text.Json.Nodes;

namespace Course.Runner.Notebooks;

/// <summary>The MIME-keyed data of a display_data or execute_result output, keeping text and JSON representations apart the way nbformat stores them.</summary>
public sealed class MimeBundle : IEnumerable<KeyValuePair<string, JsonNode>>
{
    /// <summary>The MIME type Polyglot and Jupyter always expect as a fallback representation.</summary>
    public const string PlainText = "text/plain";

    // Values are either string (text MIME types) or JsonNode (JSON MIME types); order is insertion order.
    private readonly List<KeyValuePair<string, object>> _entries = [];

    /// <summary>The MIME types present, in insertion order.</summary>
    public IReadOnlyList<string> MimeTypes => _entries.Select(e => e.Key).ToList();

    /// <summary>The number of representations in the bundle.</summary>
    public int Count => _entries.Count;

    /// <summary>True when nbformat stores this MIME type as JSON (application/json or any type ending in +json) rather than as text.</summary>
    public static bool IsJsonMimeType(string mimeType) =>
        mimeType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
        || mimeType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);

    /// <summary>Sets a text representation (replacing any earlier one of the same MIME type).</summary>
    public MimeBundle SetText(string mimeType, string text)
    {
        Set(mimeType, text);
        return this;
    }

    /// <summary>Sets a JSON representation (replacing any earlier one of the same MIME type).</summary>
    public MimeBundle SetJson(string mimeType, JsonNode json)
    {
        Set(mimeType, json);
        return this;
    }

    /// <summary>True when the bundle has a representation of this MIME type.</summary>
    public bool Contains(string mimeType) => IndexOf(mimeType) >= 0;

    /// <summary>True when the representation of this MIME type is held as JSON (written as a JSON value, not as lines of text).</summary>
    public bool HoldsJson(string mimeType) => IndexOf(mimeType) is var index and >= 0 && _entries[index].Value is JsonNode;

    /// <summary>Gets the text of a text representation (a JSON one is returned serialized).</summary>
    public bool TryGetText(string mimeType, out string text)
    {
        var index = IndexOf(mimeType);
        if (index < 0)
        {
            text = "";
            return false;
        }

        text = _entries[index].Value switch
        {
            string s => s,
            JsonNode node => node.ToJsonString(),
            _ => "",
        };
        return true;
    }

    /// <summary>Gets a JSON representation; a text one is parsed when it holds JSON.</summary>
    public bool TryGetJson(string mimeType, out JsonNode? json)
    {
        json = null;
        var index = IndexOf(mimeType);
        if (index < 0)
        {
            return false;
        }

        switch (_entries[index].Value)
        {
            case JsonNode node:
                json = node;
                return true;
            case string s:
                try
                {
                    json = JsonNode.Parse(s);
                    return json is not null;
                }
                catch (System.Text.Json.JsonException)
                {
                    return false;
                }
            default:
                return false;
        }
    }

    /// <summary>Copies the bundle so that later changes to either copy stay independent.</summary>
    public MimeBundle Clone()
    {
        var copy = new MimeBundle();
        foreach (var (key, value) in _entries)
        {
            copy._entries.Add(new(key, value is JsonNode node ? node.DeepClone() : value));
        }

        return copy;
    }

    /// <summary>Enumerates the representations as nbformat JSON values (text becomes a list of lines).</summary>
    public IEnumerator<KeyValuePair<string, JsonNode>> GetEnumerator()
    {
        foreach (var (key, value) in _entries)
        {
            yield return new(key, value is JsonNode node ? node.DeepClone() : MultilineText.ToJson((string)value));
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private void Set(string mimeType, object value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(mimeType);
        var index = IndexOf(mimeType);
        if (index >= 0)
        {
            _entries[index] = new(mimeType, value);
        }
        else
        {
            _entries.Add(new(mimeType, value));
        }
    }

    private int IndexOf(string mimeType) =>
        _entries.FindIndex(e => e.Key.Equals(mimeType, StringComparison.OrdinalIgnoreCase));
}
