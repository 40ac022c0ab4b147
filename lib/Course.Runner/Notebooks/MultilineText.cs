using System.Text.Json.Nodes;

namespace Course.Runner.Notebooks;

/// <summary>Converts between strings and nbformat's "multiline string" (a string or a list of lines that each keep their newline).</summary>
public static class MultilineText
{
    /// <summary>Splits text into lines that keep their trailing "\n", the way Jupyter writes source and outputs.</summary>
    public static IReadOnlyList<string> SplitLines(string text)
    {
        var lines = new List<string>();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                lines.Add(text[start..(i + 1)]);
                start = i + 1;
            }
        }

        if (start < text.Length)
        {
            lines.Add(text[start..]);
        }

        return lines;
    }

    /// <summary>Builds the JSON list-of-lines form of a text.</summary>
    public static JsonArray ToJson(string text) => new(SplitLines(text).Select(l => (JsonNode?)JsonValue.Create(l)).ToArray());

    /// <summary>Reads a multiline string (a string or an array of strings); returns false when the node is neither.</summary>
    public static bool TryRead(JsonNode? node, out string text)
    {
        text = "";
        switch (node)
        {
            case JsonValue value when value.TryGetValue<string>(out var s):
                text = s;
                return true;
            case JsonArray array:
                var builder = new System.Text.StringBuilder();
                foreach (var item in array)
                {
                    if (item is not JsonValue v || !v.TryGetValue<string>(out var line))
                    {
                        return false;
                    }

                    builder.Append(line);
                }

                text = builder.ToString();
                return true;
            default:
                return false;
        }
    }
}
