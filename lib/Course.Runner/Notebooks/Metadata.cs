using System.Text.Json;
using System.Text.Json.Nodes;

namespace Course.Runner.Notebooks;

/// <summary>
/// Reads and sets values in the Documents API's metadata dictionaries, which hold JSON as it reads it: objects as
/// <c>IDictionary&lt;string, object&gt;</c>, arrays as <c>object[]</c>, numbers as double, strings, booleans and null.
/// </summary>
public static class Metadata
{
    /// <summary>The value at a path of keys (e.g. "jupyter", "source_hidden"), or null when any step is missing; a JsonNode on the way is read as the Documents API would read it.</summary>
    public static object? Find(IDictionary<string, object>? metadata, params string[] path)
    {
        object? at = metadata;
        foreach (var key in path)
        {
            if (at is JsonNode node)
            {
                at = FromJson(node);
            }

            if (at is not IDictionary<string, object> dictionary || !dictionary.TryGetValue(key, out at))
            {
                return null;
            }
        }

        return at is JsonNode last ? FromJson(last) : at;
    }

    /// <summary>The string at a path of keys, or null when it is missing or not a string.</summary>
    public static string? FindString(IDictionary<string, object>? metadata, params string[] path) => Find(metadata, path) as string;

    /// <summary>True when the value at a path of keys is the boolean true.</summary>
    public static bool IsTrue(IDictionary<string, object>? metadata, params string[] path) => Find(metadata, path) is true;

    /// <summary>The dictionary under a key, created (replacing a value that is not a dictionary) when missing.</summary>
    public static IDictionary<string, object> Child(IDictionary<string, object> metadata, string key)
    {
        if (metadata.TryGetValue(key, out var value) && value is IDictionary<string, object> child)
        {
            return child;
        }

        child = new Dictionary<string, object>();
        metadata[key] = child;
        return child;
    }

    /// <summary>Copies a metadata value (dictionaries and arrays deeply) so the copy can change independently.</summary>
    public static object? Copy(object? value) => value switch
    {
        IDictionary<string, object> dictionary => CopyDictionary(dictionary),
        object[] array => array.Select(Copy).ToArray(),
        JsonNode node => node.DeepClone(),
        _ => value,
    };

    /// <summary>Copies a metadata dictionary deeply.</summary>
    public static Dictionary<string, object> CopyDictionary(IDictionary<string, object> dictionary) =>
        dictionary.ToDictionary(p => p.Key, p => Copy(p.Value)!);

    /// <summary>A JSON value in the form the Documents API reads it (for what it does not read itself: cell attachments).</summary>
    public static object? FromJson(JsonNode? node) => node switch
    {
        null => null,
        JsonObject obj => obj.ToDictionary(p => p.Key, p => FromJson(p.Value)!),
        JsonArray array => array.Select(FromJson).ToArray(),
        JsonValue value => value.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => value.GetValue<double>(),
            _ => null,
        },
        // JsonNode has no other kinds; the arm keeps the switch exhaustive for the compiler.
        _ => throw new ArgumentException($"unexpected JSON node type {node.GetType().Name}", nameof(node)),
    };
}
