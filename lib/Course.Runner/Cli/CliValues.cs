using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Course.Runner.Cli;

/// <summary>Strict parsers for the values the verbs take; each rejects what a person would not mean (" 80", "+5", "NaN", 1e9 seconds) with a message naming the fix.</summary>
public static partial class CliValues
{
    /// <summary>The longest time a verb accepts for a duration option: one week (timers beyond about 49 days cannot be set at all).</summary>
    public static readonly TimeSpan LongestDuration = TimeSpan.FromDays(7);

    /// <summary>Parses a port: only ASCII digits, from <paramref name="lowest"/> to 65535.</summary>
    /// <returns>The port, or an error message.</returns>
    public static (int Port, string? Error) ParsePort(string option, string text, int lowest)
    {
        if (!Digits().IsMatch(text) || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port < lowest || port > 65535)
        {
            return (0, $"{option} {Quote(text)} is not a port: use a whole number from {lowest} to 65535, digits only (no spaces or sign).");
        }

        return (port, null);
    }

    /// <summary>Parses a whole number of digits only, within a range.</summary>
    public static (int Value, string? Error) ParseWhole(string option, string text, int lowest, int highest, string unit)
    {
        if (!Digits().IsMatch(text) || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < lowest || value > highest)
        {
            return (0, $"{option} {Quote(text)} is not a whole number of {unit} from {lowest} to {highest}.");
        }

        return (value, null);
    }

    /// <summary>Parses a positive, finite number of seconds (decimal point allowed, no exponent, NaN or infinity) up to <see cref="LongestDuration"/>.</summary>
    public static (TimeSpan Value, string? Error) ParseSeconds(string option, string text, string example)
    {
        if (!Decimal().IsMatch(text)
            || !double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds)
            || !double.IsFinite(seconds) || seconds <= 0)
        {
            return (TimeSpan.Zero, $"{option} {Quote(text)} is not a number of seconds above 0. Fix: e.g. {option} {example}.");
        }

        if (seconds > LongestDuration.TotalSeconds)
        {
            return (TimeSpan.Zero, $"{option} {text} is longer than the longest allowed, {LongestDuration.TotalSeconds:0} s (7 days). Fix: use a smaller number.");
        }

        return (TimeSpan.FromSeconds(seconds), null);
    }

    /// <summary>An option whose value is a port, parsed by <see cref="ParsePort"/>.</summary>
    public static Option<int?> PortOption(string description, int lowest) => new("--port")
    {
        Description = description,
        HelpName = "P",
        CustomParser = r =>
        {
            var (value, ok) = Single(r, text => ParsePort("--port", text, lowest));
            return ok ? value : null;
        },
    };

    /// <summary>An option whose value is a number of seconds, parsed by <see cref="ParseSeconds"/>.</summary>
    public static Option<TimeSpan?> SecondsOption(string name, string description, string example) => new(name)
    {
        Description = description,
        HelpName = "S",
        CustomParser = r =>
        {
            var (value, ok) = Single(r, text => ParseSeconds(name, text, example));
            return ok ? value : null;
        },
    };

    /// <summary>An option whose value is a folder; a value that looks like an option ("--quick") is a missing value, not a folder name.</summary>
    public static Option<string> FolderOption(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "DIR",
        CustomParser = r =>
        {
            var (value, ok) = Single(r, text => text.StartsWith("--", StringComparison.Ordinal) || text.Length == 0
                ? (text, $"{name} needs a folder (got {CliValues.Quote(text)}). Fix: e.g. {name} ./some-folder.")
                : (text, (string?)null));
            return ok ? value : null;
        },
    };

    /// <summary>Runs a parser on an option's single token and records its error on the result.</summary>
    public static (T Value, bool Ok) Single<T>(ArgumentResult result, Func<string, (T Value, string? Error)> parse)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        var (value, error) = parse(text);
        if (error is not null)
        {
            result.AddError(error);
            return (value, false);
        }

        return (value, true);
    }

    /// <summary>The text in quotes when it has spaces or is empty, so " 80" shows as it was typed.</summary>
    public static string Quote(string text) => text.Length == 0 || text.Any(char.IsWhiteSpace) ? $"'{text}'" : text;

    [GeneratedRegex("^[0-9]+$")]
    private static partial Regex Digits();

    [GeneratedRegex(@"^[0-9]+(\.[0-9]+)?$|^\.[0-9]+$")]
    private static partial Regex Decimal();
}
