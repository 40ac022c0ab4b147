namespace AddressInUse.Native;

/// <summary>The socket-level options a lesson sets before bind, by their canonical C names.</summary>
[Flags]
public enum SocketOptionSet
{
    /// <summary>No option: the OS's default bind rules.</summary>
    None = 0,
    /// <summary>SO_REUSEADDR.</summary>
    ReuseAddress = 1,
    /// <summary>SO_REUSEPORT (Linux 3.9+, macOS/BSD; not on Windows).</summary>
    ReusePort = 2,
    /// <summary>SO_EXCLUSIVEADDRUSE (Windows only).</summary>
    ExclusiveAddressUse = 4,
}

/// <summary>Canonical names for <see cref="SocketOptionSet"/> values, as results.json and the chapters spell them.</summary>
public static class SocketOptionNames
{
    /// <summary>The canonical name of SO_REUSEADDR.</summary>
    public const string ReuseAddress = "SO_REUSEADDR";
    /// <summary>The canonical name of SO_REUSEPORT.</summary>
    public const string ReusePort = "SO_REUSEPORT";
    /// <summary>The canonical name of SO_EXCLUSIVEADDRUSE.</summary>
    public const string ExclusiveAddressUse = "SO_EXCLUSIVEADDRUSE";

    /// <summary>Every single option in a fixed order, with its canonical name.</summary>
    public static IReadOnlyList<(SocketOptionSet Option, string Name)> All { get; } = new[]
    {
        (SocketOptionSet.ReuseAddress, ReuseAddress),
        (SocketOptionSet.ReusePort, ReusePort),
        (SocketOptionSet.ExclusiveAddressUse, ExclusiveAddressUse),
    };

    /// <summary>The canonical names of the options in the set, in a fixed order (empty for none).</summary>
    public static IReadOnlyList<string> ToNames(this SocketOptionSet options) =>
        All.Where(o => options.HasFlag(o.Option)).Select(o => o.Name).ToArray();

    /// <summary>A short human label: "no options" or the names joined with " + ".</summary>
    public static string ToLabel(this SocketOptionSet options) =>
        options == SocketOptionSet.None ? "no options" : string.Join(" + ", options.ToNames());

    /// <summary>Parses a comma-separated list of canonical names ("none" or empty means no option).</summary>
    public static SocketOptionSet Parse(string? text)
    {
        var result = SocketOptionSet.None;
        if (string.IsNullOrWhiteSpace(text) || text.Trim().Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return result;
        }
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var match = All.FirstOrDefault(o => o.Name.Equals(part, StringComparison.OrdinalIgnoreCase));
            if (match.Name is null)
            {
                throw new ArgumentException(
                    $"Unknown socket option '{part}'. Use one of: none, {string.Join(", ", All.Select(o => o.Name))}.", nameof(text));
            }
            result |= match.Option;
        }
        return result;
    }
}
