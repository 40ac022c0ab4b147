using System.Text;
using System.Text.Json.Nodes;

namespace Course.Runner.Tests.Faults;

/// <summary>Makes damaged variants of a notebook, reproducibly from a seed: byte damage (truncation, garbage, deletions) and JSON damage (wrong types, missing keys, odd values).</summary>
public sealed class NotebookMutator(byte[] original, int seed)
{
    private readonly Random _random = new(seed);

    /// <summary>The next mutant and a short description of what was done.</summary>
    public (byte[] Bytes, string What) Next()
    {
        var kind = _random.Next(8);
        return kind switch
        {
            0 => Truncate(),
            1 => DeleteSpan(),
            2 => InsertGarbage(),
            3 => ReplaceByte(),
            4 => DuplicateSpan(),
            _ => MutateJson(),
        };
    }

    /// <summary>The next mutant damaged at the JSON level only (the file still parses as JSON); most break the nbformat schema, which the reader refuses.</summary>
    public (byte[] Bytes, string What) NextJson() => MutateJson();

    /// <summary>
    /// The next mutant odd only where the nbformat schema allows anything (a cell's source text, the Polyglot metadata), so it
    /// passes the reader's schema check and reaches the executor with values the runner did not write.
    /// </summary>
    public (byte[] Bytes, string What) NextWithinSchema()
    {
        var root = JsonNode.Parse(original)!;
        var nodes = new List<(JsonNode? Parent, string? Key, int Index, JsonNode? Node)>();
        Walk(null, null, -1, root, nodes);
        var free = nodes.Where(n => n.Node?.GetPath() is { } path && path.Contains(".polyglot_notebook", StringComparison.Ordinal)).ToList();
        var sources = nodes.Where(n => n.Key == "source" && n.Parent is JsonObject).ToList();
        var useSource = free.Count == 0 || _random.Next(2) == 0;
        var (parent, key, index, node) = useSource ? sources[_random.Next(sources.Count)] : free[_random.Next(free.Count)];
        // A source must stay text (the schema's multiline_string); Polyglot's metadata may be any JSON.
        var replacement = useSource ? RandomText() : RandomValue();
        var path = node?.GetPath() ?? "$";
        switch (parent)
        {
            case JsonObject obj:
                obj[key!] = replacement;
                break;
            case JsonArray array:
                array[index] = replacement;
                break;
        }

        return (Encoding.UTF8.GetBytes(root.ToJsonString()), $"{path} := {Describe(replacement)}");
    }

    private JsonNode RandomText() => _random.Next(5) switch
    {
        0 => JsonValue.Create(""),
        1 => JsonValue.Create(new string('x', 100_000)),
        2 => JsonValue.Create("\u001b[2J\0\ud800"),
        3 => JsonValue.Create("}}}{{{ \" ;;"),
        _ => new JsonArray(JsonValue.Create("#!csharp\n"), JsonValue.Create("python")),
    };

    private (byte[], string) Truncate()
    {
        var at = _random.Next(original.Length);
        return (original[..at], $"truncated at byte {at}");
    }

    private (byte[], string) DeleteSpan()
    {
        var at = _random.Next(original.Length);
        var length = Math.Min(original.Length - at, 1 + _random.Next(200));
        return ([.. original[..at], .. original[(at + length)..]], $"deleted {length} bytes at {at}");
    }

    private (byte[], string) InsertGarbage()
    {
        var at = _random.Next(original.Length);
        var garbage = new byte[1 + _random.Next(40)];
        _random.NextBytes(garbage);
        return ([.. original[..at], .. garbage, .. original[at..]], $"inserted {garbage.Length} random bytes at {at}");
    }

    private (byte[], string) ReplaceByte()
    {
        var copy = (byte[])original.Clone();
        var at = _random.Next(copy.Length);
        const string Damaging = "{}[]\",:0\\\n\0\xff";
        var value = (byte)Damaging[_random.Next(Damaging.Length)];
        copy[at] = value;
        return (copy, $"byte {at} set to 0x{value:x2}");
    }

    private (byte[], string) DuplicateSpan()
    {
        var at = _random.Next(original.Length);
        var length = Math.Min(original.Length - at, 1 + _random.Next(300));
        return ([.. original[..(at + length)], .. original[at..(at + length)], .. original[(at + length)..]], $"duplicated {length} bytes at {at}");
    }

    private (byte[], string) MutateJson()
    {
        var root = JsonNode.Parse(original)!;
        var nodes = new List<(JsonNode? Parent, string? Key, int Index, JsonNode? Node)>();
        Walk(null, null, -1, root, nodes);
        var (parent, key, index, node) = nodes[_random.Next(nodes.Count)];
        var replacement = RandomValue();
        var path = node?.GetPath() ?? "$";
        string what;
        switch (parent)
        {
            case JsonObject obj when _random.Next(3) == 0:
                obj.Remove(key!);
                what = $"removed {path}";
                break;
            case JsonObject obj when _random.Next(4) == 0:
                var value = obj[key!];
                obj.Remove(key!);
                obj[key + "_x"] = value?.DeepClone();
                what = $"renamed {path}";
                break;
            case JsonObject obj:
                obj[key!] = replacement;
                what = $"{path} := {Describe(replacement)}";
                break;
            case JsonArray array:
                array[index] = replacement;
                what = $"{path} := {Describe(replacement)}";
                break;
            default:
                root = replacement ?? JsonValue.Create(0);
                what = $"root := {Describe(replacement)}";
                break;
        }

        return (Encoding.UTF8.GetBytes(root?.ToJsonString() ?? "null"), what);
    }

    private JsonNode? RandomValue() => _random.Next(11) switch
    {
        0 => null,
        1 => JsonValue.Create(-1),
        2 => JsonValue.Create(1e308),
        3 => JsonValue.Create(""),
        4 => JsonValue.Create("python"),
        5 => new JsonArray(),
        6 => new JsonObject(),
        7 => JsonValue.Create(new string('x', 100_000)),
        8 => Nested(200),
        9 => JsonValue.Create("\u001b[2J\0\ud800"),
        _ => JsonValue.Create(true),
    };

    private static JsonNode Nested(int depth)
    {
        JsonNode node = new JsonArray();
        for (var i = 0; i < depth; i++)
        {
            node = new JsonArray(node);
        }

        return node;
    }

    private static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonValue v when v.ToJsonString().Length > 40 => $"a {v.ToJsonString().Length}-character value",
        JsonArray { Count: > 0 } => "a deeply nested array",
        _ => node.ToJsonString(),
    };

    private static void Walk(JsonNode? parent, string? key, int index, JsonNode? node, List<(JsonNode?, string?, int, JsonNode?)> into)
    {
        into.Add((parent, key, index, node));
        switch (node)
        {
            case JsonObject obj:
                foreach (var (k, v) in obj.ToList())
                {
                    Walk(obj, k, -1, v, into);
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    Walk(array, null, i, array[i], into);
                }

                break;
        }
    }
}
