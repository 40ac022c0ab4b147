using System.Text.Json;
using System.Text.Json.Nodes;

using System.Globalization;
using AddressInUse.Display;

namespace AddressInUse.Verdicts;

/// <summary>One OS's results.json as found under images/&lt;os&gt;/.</summary>
/// <param name="Os">The folder name: "linux", "macos", "windows" (or another name someone committed).</param>
/// <param name="Results">The parsed document.</param>
public sealed record OsResults(string Os, JsonObject Results)
{
    /// <summary>The results' emulation label ("Windows code path under Wine … — an emulation, not Windows"), or null for a real OS.</summary>
    public string? Emulation =>
        Results["emulation"] is JsonValue v && v.TryGetValue<string>(out var label) && !string.IsNullOrWhiteSpace(label) ? label
        : Os == "wine" ? "Windows code path under Wine — an emulation, not Windows" : null;

    /// <summary>Whether these results come from an emulation (Wine), which never stands for the OS it emulates.</summary>
    public bool IsEmulation => Emulation is not null;

    /// <summary>A one-line description of the machine: os.description, kernel and .NET.</summary>
    public string Machine =>
        string.Join(", ", new[] { Results["os"]?["description"], Results["os"]?["kernel"], Results["dotnet"] }
            .Select(n => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null)
            .Where(s => !string.IsNullOrWhiteSpace(s)));
}

/// <summary>One measured case on every OS: the outcome each OS recorded, or null where it was not measured.</summary>
/// <param name="Scenario">The scenario id, e.g. "A1".</param>
/// <param name="Case">The case name within the scenario.</param>
/// <param name="Api">"native" or "dotnet".</param>
/// <param name="Outcomes">OS folder name → outcome text ("ok", "EADDRINUSE (98)"), or null when that OS has no such case.</param>
/// <param name="Differs">True when the real OSes that measured the case disagree on the outcome name (errno numbers differ by OS and do not count; emulations never count).</param>
public sealed record ComparisonRow(string Scenario, string Case, string Api, IReadOnlyDictionary<string, string?> Outcomes, bool Differs);

/// <summary>One sentence of the course's text and its verdict on every OS.</summary>
/// <param name="Id">The verdict id, "chapter/paragraph".</param>
/// <param name="Sentence">The sentence judged.</param>
/// <param name="About">The OS the sentence is about, or null.</param>
/// <param name="Verdicts">OS folder name → (verdict name, what was measured), or null when that OS recorded no verdict for it.</param>
public sealed record VerdictRow(string Id, string Sentence, string? About, IReadOnlyDictionary<string, (string Verdict, string Measured)?> Verdicts);

/// <summary>The H1 comparison: every images/&lt;os&gt;/results.json present, one row per scenario + case + api, one column per OS.</summary>
public sealed record OsComparison : HtmlResult
{
    /// <summary>The OSes the course is meant to be measured on.</summary>
    public static readonly IReadOnlyList<string> ExpectedOses = ["linux", "macos", "windows"];

    private OsComparison(IReadOnlyList<OsResults> oses, IReadOnlyList<ComparisonRow> rows, IReadOnlyList<string> problems)
    {
        Oses = oses;
        Rows = rows;
        Problems = problems;
        VerdictRows = BuildVerdictRows(oses);
    }

    /// <summary>The verdicts on the course's own sentences, one row per sentence, one column per OS, in chapter order.</summary>
    public IReadOnlyList<VerdictRow> VerdictRows { get; }

    /// <summary>The OSes found, expected ones first in their usual order.</summary>
    public IReadOnlyList<OsResults> Oses { get; }

    /// <summary>The rows, ordered by scenario, then in the order the first OS recorded them.</summary>
    public IReadOnlyList<ComparisonRow> Rows { get; }

    /// <summary>results.json files that could not be read, with the reason.</summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>The expected OSes with no results.json yet (an emulation of an OS never fills its place).</summary>
    public IReadOnlyList<string> MissingOses => ExpectedOses.Where(e => Oses.All(o => o.Os != e || o.IsEmulation)).ToList();

    /// <summary>Loads every &lt;imagesRoot&gt;/&lt;os&gt;/results.json; unreadable files are reported in <see cref="Problems"/>, not thrown.</summary>
    public static OsComparison Load(string imagesRoot)
    {
        var found = new List<OsResults>();
        var problems = new List<string>();
        if (Directory.Exists(imagesRoot))
        {
            foreach (var folder in Directory.EnumerateDirectories(imagesRoot))
            {
                var file = Path.Combine(folder, "results.json");
                if (!File.Exists(file))
                {
                    continue;
                }

                try
                {
                    if (JsonNode.Parse(File.ReadAllText(file)) is JsonObject results)
                    {
                        found.Add(new OsResults(Path.GetFileName(folder), results));
                    }
                    else
                    {
                        problems.Add($"{file} is not a JSON object.");
                    }
                }
                catch (JsonException e)
                {
                    problems.Add($"{file} is not valid JSON: {e.Message}");
                }
            }
        }

        // Emulations come last, in a column group of their own, so they never sit among the real OSes.
        var ordered = found
            .OrderBy(o => o.IsEmulation ? 1 : 0)
            .ThenBy(o => ExpectedOses.Contains(o.Os) ? ExpectedOses.ToList().IndexOf(o.Os) : ExpectedOses.Count)
            .ThenBy(o => o.Os, StringComparer.Ordinal)
            .ToList();
        return new OsComparison(ordered, BuildRows(ordered), problems);
    }

    /// <summary>The outcome as a cell shows it: "ok", or the errno name with this OS's number.</summary>
    public static string OutcomeText(JsonObject c)
    {
        var outcome = Text(c["outcome"]) ?? "?";
        return c["errno"] is JsonValue v && v.TryGetValue<int>(out var errno) ? $"{outcome} ({errno})" : outcome;
    }

    private static List<ComparisonRow> BuildRows(IReadOnlyList<OsResults> oses)
    {
        var keys = new List<(string Scenario, string Case, string Api)>();
        var byOs = new Dictionary<string, Dictionary<(string, string, string), JsonObject>>();
        foreach (var os in oses)
        {
            var cases = new Dictionary<(string, string, string), JsonObject>();
            foreach (var c in (os.Results["cases"] as JsonArray ?? []).OfType<JsonObject>())
            {
                var key = (Text(c["scenario"]) ?? "?", Text(c["case"]) ?? "?", Text(c["api"]) ?? "");
                // A case recorded twice on one OS keeps its first record; the runner already removes exact repeats.
                if (cases.TryAdd(key, c) && !keys.Contains(key))
                {
                    keys.Add(key);
                }
            }

            byOs[os.Os] = cases;
        }

        return keys
            .Select((k, order) => (k, order))
            .OrderBy(x => x.k.Scenario, StringComparer.Ordinal)
            .ThenBy(x => x.order)
            .Select(x =>
            {
                var outcomes = oses.ToDictionary(o => o.Os, o => byOs[o.Os].TryGetValue(x.k, out var c) ? OutcomeText(c) : null);
                // Only real OSes can make a row differ: an emulation's outcome is no OS's outcome.
                var names = oses.Where(o => !o.IsEmulation).Select(o => byOs[o.Os].TryGetValue(x.k, out var c) ? Text(c["outcome"]) : null)
                    .Where(n => n is not null).Distinct(StringComparer.Ordinal).Count();
                return new ComparisonRow(x.k.Scenario, x.k.Case, x.k.Api, outcomes, names > 1);
            })
            .ToList();
    }

    private static List<VerdictRow> BuildVerdictRows(IReadOnlyList<OsResults> oses)
    {
        var rows = new List<(string Id, string Sentence, string? About)>();
        var byOs = new Dictionary<string, Dictionary<string, (string, string)>>();
        foreach (var os in oses)
        {
            var verdicts = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
            foreach (var v in (os.Results["verdicts"] as JsonArray ?? []).OfType<JsonObject>())
            {
                var id = Text(v["id"]);
                if (id is null || !verdicts.TryAdd(id, (Text(v["verdict"]) ?? "?", Text(v["measured"]) ?? "")))
                {
                    continue;
                }

                if (rows.All(r => r.Id != id))
                {
                    rows.Add((id, Text(v["sentence"]) ?? "", Text(v["about"])));
                }
            }

            byOs[os.Os] = verdicts;
        }

        return rows
            .OrderBy(r => r.Id.Split('/')[0], StringComparer.Ordinal)
            .Select(r => new VerdictRow(r.Id, r.Sentence, r.About, oses.ToDictionary(
                o => o.Os,
                o => byOs[o.Os].TryGetValue(r.Id, out var v) ? ((string, string)?)v : null)))
            .ToList();
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>A notebook-sized summary: the machines, the cases each measured, the rows where they disagree, and what is missing.</summary>
    public override string ToHtml()
    {
        var parts = new List<string>();
        if (Oses.Count == 0)
        {
            parts.Add("<p>No <code>images/&lt;os&gt;/results.json</code> found yet: run the main job (<code>dotnet run --project lib/Course.Runner -- run</code>) first.</p>");
        }
        else
        {
            parts.Add(Html.Table(
                new[] { "OS", "machine", "cases measured" },
                Oses.Select(o => new[] { Html.E(o.Os), Html.E(o.Emulation ?? o.Machine), Html.E(Rows.Count(r => r.Outcomes.GetValueOrDefault(o.Os) is not null).ToString(CultureInfo.InvariantCulture)) })));
            var differing = Rows.Where(r => r.Differs).ToList();
            // Wine runs the Windows code path but is an emulation: its column is shown, and never counts as agreement or as Windows.
            var real = Oses.Count(o => !o.IsEmulation);
            parts.Add(real < 2
                ? "<p>With one OS there is nothing to compare yet" + (Oses.Any(o => o.IsEmulation) ? " (an emulation such as Wine is not an OS to compare with: it is never evidence for Windows)" : "") + ".</p>"
                : differing.Count == 0
                    ? $"<p>Every case measured on more than one of the {real.ToString(CultureInfo.InvariantCulture)} real OSes has the same outcome on each" +
                      (Oses.Any(o => o.IsEmulation) ? "; an emulation's column is shown beside them and decides nothing." : ".") + "</p>"
                    : $"<p><b>{differing.Count}</b> cases differ between the OSes:</p>" + Html.Table(
                        new[] { "scenario", "case", "api" }.Concat(Oses.Select(o => o.Os)),
                        differing.Select(r => new[] { Html.E(r.Scenario), Html.E(r.Case), Html.E(r.Api) }
                            .Concat(Oses.Select(o => r.Outcomes.GetValueOrDefault(o.Os) is { } text ? Html.Badge(text.StartsWith("ok", StringComparison.Ordinal) ? "ok" : text) : "—")))));
        }
        if (MissingOses.Count > 0)
        {
            parts.Add($"<p>Missing: <b>{Html.E(string.Join(", ", MissingOses))}</b>. " +
                      "To add one, run <code>dotnet run --project lib/Course.Runner -- run</code> on that OS (or download the <code>images-&lt;os&gt;</code> artifact of the GitHub workflow) and commit its <code>images/&lt;os&gt;/</code> folder.</p>");
        }
        parts.AddRange(Problems.Select(p => $"<p><i>{Html.E(p)}</i></p>"));
        return string.Concat(parts);
    }

    /// <summary>One line per OS with its case count, and the missing OSes.</summary>
    public override string ToString() =>
        string.Join(Environment.NewLine, Oses.Select(o => $"{o.Os}: {Rows.Count(r => r.Outcomes.GetValueOrDefault(o.Os) is not null)} cases"))
        + (MissingOses.Count > 0 ? $"{Environment.NewLine}missing: {string.Join(", ", MissingOses)}" : "");
}
