using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AddressInUse.Cases;

namespace AddressInUse.Tests.Cases;

/// <summary>The scenario registry lists every id the course files cases and verdicts under, and nothing it never uses.</summary>
public sealed partial class ScenariosTests
{
    // A scenario id as the catalogue writes it: a part letter (A–H, I for chapter 11, P for production) and a number.
    [GeneratedRegex(@"\b[A-IP][0-9]\b")]
    private static partial Regex IdInText();

    // An id as a string literal in the lab's code; ToString("P2") is a number format, not a scenario.
    [GeneratedRegex(@"(?<!ToString\()""([A-IP][0-9])""")]
    private static partial Regex IdLiteral();

    [Fact]
    public void Ids_UniqueAndEachTaughtInAChapterThatExists()
    {
        var chapters = Directory.GetFiles(Checkout.Path("notebooks"), "*.ipynb").Select(f => Path.GetFileName(f)[..2]).ToHashSet();

        Assert.Equal(Scenarios.All.Count, Scenarios.All.Select(s => s.Id).Distinct().Count());
        Assert.All(Scenarios.All, s => Assert.Contains(s.Chapter, chapters));
        Assert.All(Scenarios.All, s => Assert.False(string.IsNullOrWhiteSpace(s.Question)));
    }

    [Fact]
    public void CommittedResults_EveryCaseAndVerdictEvidence_FiledUnderARegisteredId()
    {
        var files = Directory.GetFiles(Checkout.Path("images"), "results.json", SearchOption.AllDirectories);
        Assert.NotEmpty(files);

        var unknown = UsedInResults(files).Where(u => !Scenarios.IsKnown(u.Id)).Select(u => $"{u.Id} ({u.Where})").Distinct().ToList();

        Assert.True(unknown.Count == 0, $"Ids not in Cases/Scenarios.cs: {string.Join(", ", unknown)}");
    }

    [Fact]
    public void Notebooks_EveryIdTheyName_IsRegistered()
    {
        var unknown = UsedInNotebooks().Where(u => !Scenarios.IsKnown(u.Id)).Select(u => $"{u.Id} ({u.Where})").Distinct().ToList();

        Assert.True(unknown.Count == 0, $"Ids not in Cases/Scenarios.cs: {string.Join(", ", unknown)}");
    }

    [Fact]
    public void LabCode_EveryIdLiteral_IsRegistered()
    {
        var unknown = UsedInLabCode().Where(u => !Scenarios.IsKnown(u.Id)).Select(u => $"{u.Id} ({u.Where})").Distinct().ToList();

        Assert.NotEmpty(UsedInLabCode());
        Assert.True(unknown.Count == 0, $"Ids not in Cases/Scenarios.cs: {string.Join(", ", unknown)}");
    }

    [Fact]
    public void Registry_EveryId_IsUsedByTheNotebooksOrTheirResults()
    {
        var used = UsedInNotebooks().Select(u => u.Id)
            .Concat(UsedInResults(Directory.GetFiles(Checkout.Path("images"), "results.json", SearchOption.AllDirectories)).Select(u => u.Id))
            .ToHashSet();

        var unused = Scenarios.All.Where(s => !used.Contains(s.Id)).Select(s => s.Id).ToList();

        Assert.True(unused.Count == 0, $"Registered but named by no notebook and filing no case: {string.Join(", ", unused)}");
    }

    [Fact]
    public void Get_UnknownId_NamesTheKnownOnesAndTheFix()
    {
        var e = Assert.Throws<ArgumentException>(() => Scenarios.Get("Z9"));

        Assert.Contains("'Z9'", e.Message, StringComparison.Ordinal);
        Assert.Contains("A1", e.Message, StringComparison.Ordinal);
        Assert.Contains("Cases/Scenarios.cs", e.Message, StringComparison.Ordinal);
        Assert.Equal("05", Scenarios.Get("D1").Chapter);
        Assert.Contains(Scenarios.TaughtIn("05"), s => s.Id == "A4");
    }

    private static IEnumerable<(string Id, string Where)> UsedInResults(IEnumerable<string> files)
    {
        foreach (var file in files)
        {
            var results = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
            foreach (var c in (results["cases"] as JsonArray ?? []).OfType<JsonObject>())
            {
                yield return (c["scenario"]!.GetValue<string>(), Path.GetRelativePath(Checkout.Root, file));
            }
            foreach (var v in (results["verdicts"] as JsonArray ?? []).OfType<JsonObject>())
            {
                foreach (var evidence in (v["evidence"] as JsonArray ?? []).Select(e => e!.GetValue<string>()))
                {
                    yield return (evidence.Split('/')[0], $"verdict {v["id"]} in {Path.GetRelativePath(Checkout.Root, file)}");
                }
            }
        }
    }

    private static IEnumerable<(string Id, string Where)> UsedInNotebooks() =>
        Directory.GetFiles(Checkout.Path("notebooks"), "*.ipynb")
            .SelectMany(f => IdInText().Matches(File.ReadAllText(f)).Select(m => (m.Value, Path.GetFileName(f))));

    private static IEnumerable<(string Id, string Where)> UsedInLabCode() =>
        Directory.EnumerateFiles(Checkout.Path("lib", "AddressInUse"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && Path.GetFileName(f) != "Scenarios.cs")
            .SelectMany(f => IdLiteral().Matches(File.ReadAllText(f)).Select(m => (m.Groups[1].Value, Path.GetFileName(f))));
}
