using System.Text.Json.Nodes;
using Course.Runner.Notebooks;
using Course.Runner.Results;
using Course.Runner.Tests.Fixtures;
using Microsoft.DotNet.Interactive.Documents;
using AddressInUse.Display;

namespace Course.Runner.Tests.Results;

public sealed class ResultsAggregatorTests : IDisposable
{
    private static readonly DateTimeOffset Generated = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void CollectCases_AddsChapterFirst_KeepsOrder_AndCountsARepeatedCaseOnce()
    {
        var notebook = NotebookWithOutputs(
            Cases("""[{"case": "a", "errno": 98}, {"case": "b"}]"""),
            new Dictionary<string, object> { ["text/plain"] = "unrelated" },
            Cases("""[{"case": "a", "errno": 98}, {"case": "c", "chapter": "wrong"}]"""));

        var cases = ResultsAggregator.CollectCases(notebook, "01-x");

        Assert.Equal(["a", "b", "c"], cases.Select(c => (string?)c["case"]));
        Assert.All(cases, c => Assert.Equal("01-x", (string?)c["chapter"]));
        Assert.Equal("chapter", cases[0].First().Key);
    }

    [Fact]
    public void CollectCases_NonObjectEntry_IsSkippedWithAWarning()
    {
        var warnings = new List<string>();

        var cases = ResultsAggregator.CollectCases(NotebookWithOutputs(Cases("""[1, {"case": "ok"}]""")), "01-x", warnings);

        Assert.Single(cases);
        Assert.Contains(warnings, w => w.Contains("not an object", StringComparison.Ordinal));
    }

    [Fact]
    public void CollectVerdicts_AddsNotebook_CountsARepeatOnce_AndWarnsOnAMalformedOne()
    {
        var warnings = new List<string>();
        var notebook = NotebookWithOutputs(
            Verdict("""{"id": "01/a", "verdict": "holds", "sentence": "s"}"""),
            Verdict("""{"id": "01/a", "verdict": "holds", "sentence": "s"}"""),
            Verdict("""{"sentence": "no id"}"""),
            Verdict("""{"id": "01/b", "verdict": "does_not_hold"}"""));

        var verdicts = ResultsAggregator.CollectVerdicts(notebook, "01-x", warnings);

        Assert.Equal(["01/a", "01/b"], verdicts.Select(v => (string?)v["id"]));
        Assert.All(verdicts, v => Assert.Equal("01-x", (string?)v["notebook"]));
        Assert.Single(warnings);
    }

    [Fact]
    public void Merge_Verdicts_RanChapterReplacesItsOwn_OtherChaptersKept()
    {
        var existing = new JsonObject
        {
            ["verdicts"] = new JsonArray(
                new JsonObject { ["notebook"] = "01-a", ["id"] = "01/old" },
                new JsonObject { ["notebook"] = "02-b", ["id"] = "02/kept" }),
        };
        var run = Chapter("01-a", true, []) with { Verdicts = [new JsonObject { ["notebook"] = "01-a", ["id"] = "01/new" }] };

        var results = ResultsAggregator.Merge(existing, [run], OsInfo.Describe(), Generated);

        Assert.Equal(["01/new", "02/kept"], results["verdicts"]!.AsArray().Select(v => (string?)v!["id"]));
    }

    [Fact]
    public void VerdictsNotHolding_MergedResults_CountsPerChapterOnlyDoesNotHold()
    {
        var existing = new JsonObject
        {
            ["verdicts"] = new JsonArray(
                new JsonObject { ["notebook"] = "02-b", ["id"] = "02/kept", ["verdict"] = "does_not_hold" }),
        };
        var run = Chapter("01-a", true, []) with
        {
            Verdicts =
            [
                new JsonObject { ["notebook"] = "01-a", ["id"] = "01/x", ["verdict"] = "does_not_hold" },
                new JsonObject { ["notebook"] = "01-a", ["id"] = "01/y", ["verdict"] = "does_not_hold" },
                new JsonObject { ["notebook"] = "01-a", ["id"] = "01/z", ["verdict"] = "holds" },
                new JsonObject { ["notebook"] = "01-a", ["id"] = "01/w", ["verdict"] = "not_measured" },
            ],
        };

        var notHolding = ResultsAggregator.VerdictsNotHolding(ResultsAggregator.Merge(existing, [run], OsInfo.Describe(), Generated));

        Assert.Equal(2, notHolding["01-a"]);
        Assert.Equal(1, notHolding["02-b"]);
        Assert.Equal(2, notHolding.Count);
    }

    [Fact]
    public void VerdictsNotMeasured_MergedResults_CountsPerChapterOnlyNotMeasured()
    {
        var run = Chapter("01-a", true, []) with
        {
            Verdicts =
            [
                new JsonObject { ["notebook"] = "01-a", ["id"] = "01/x", ["verdict"] = "not_measured" },
                new JsonObject { ["notebook"] = "01-a", ["id"] = "01/y", ["verdict"] = "does_not_hold" },
                new JsonObject { ["notebook"] = "01-a", ["id"] = "01/z", ["verdict"] = "holds" },
            ],
        };

        var notMeasured = ResultsAggregator.VerdictsNotMeasured(ResultsAggregator.Merge(new JsonObject(), [run], OsInfo.Describe(), Generated));

        Assert.Equal(1, Assert.Single(notMeasured).Value);
    }

    [Fact]
    public void CollectSettings_MergesEverySettingsOutput_LaterKeysWin()
    {
        var notebook = NotebookWithOutputs(
            new Dictionary<string, object> { [MimeTypes.Settings] = JsonNode.Parse("""{"fin": "60", "tw_reuse": "2"}""")! },
            new Dictionary<string, object> { [MimeTypes.Settings] = JsonNode.Parse("""{"fin": "30"}""")! });

        var settings = ResultsAggregator.CollectSettings(notebook);

        Assert.Equal("30", (string?)settings["fin"]);
        Assert.Equal("2", (string?)settings["tw_reuse"]);
    }

    [Fact]
    public void Merge_FirstRun_HasEveryTopLevelFieldAndChapterStatus()
    {
        var run = Chapter("01-a", true, ["x", "y"], new JsonObject { ["k"] = 1 });

        var results = ResultsAggregator.Merge(null, [run], OsInfo.Describe(), Generated);

        Assert.Equal(["generated", "os", "dotnet", "settings", "chapters", "cases", "verdicts"], results.Select(p => p.Key));
        Assert.Equal("2025-01-02T03:04:05Z", (string?)results["generated"]);
        Assert.Equal(OsInfo.Family, (string?)results["os"]!["family"]);
        Assert.False(string.IsNullOrEmpty((string?)results["os"]!["kernel"]));
        Assert.StartsWith(".NET", (string?)results["dotnet"]);
        Assert.Equal("ok", (string?)results["chapters"]!["01-a"]!["status"]);
        Assert.Equal(1.5, (double?)results["chapters"]!["01-a"]!["durationSeconds"]);
        Assert.Equal(1, (int?)results["settings"]!["k"]);
        Assert.Equal(2, results["cases"]!.AsArray().Count);
    }

    [Fact]
    public void Merge_PartialRun_ReplacesOnlyTheChaptersThatRan()
    {
        var first = ResultsAggregator.Merge(null,
            [Chapter("01-a", true, ["a1", "a2"]), Chapter("02-b", true, ["b1"]), Chapter("03-c", true, ["c1"])],
            OsInfo.Describe(), Generated);

        var second = ResultsAggregator.Merge(first, [Chapter("02-b", false, ["b-new"], failure: "cell 2 threw")], OsInfo.Describe(), Generated);

        Assert.Equal(["a1", "a2", "b-new", "c1"], second["cases"]!.AsArray().Select(c => (string?)c!["case"]));
        Assert.Equal("ok", (string?)second["chapters"]!["01-a"]!["status"]);
        Assert.Equal("failed", (string?)second["chapters"]!["02-b"]!["status"]);
        Assert.Equal("cell 2 threw", (string?)second["chapters"]!["02-b"]!["failure"]);
        Assert.Equal("ok", (string?)second["chapters"]!["03-c"]!["status"]);
    }

    [Fact]
    public void Merge_OrdersCasesByChapterThenOriginalOrder_AndChaptersByName()
    {
        var results = ResultsAggregator.Merge(null,
            [Chapter("02-b", true, ["b2", "b1"]), Chapter("01-a", true, ["a2", "a1"])],
            OsInfo.Describe(), Generated);

        Assert.Equal(["a2", "a1", "b2", "b1"], results["cases"]!.AsArray().Select(c => (string?)c!["case"]));
        Assert.Equal(["01-a", "02-b"], results["chapters"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void Write_ThenReadExisting_RoundTripsIndentedJson()
    {
        var path = Path.Combine(_temp.Path, "images", "linux", "results.json");
        var results = ResultsAggregator.Merge(null, [Chapter("01-a", true, ["a"])], OsInfo.Describe(), Generated);

        ResultsAggregator.Write(path, results);
        var reread = ResultsAggregator.ReadExisting(path);

        Assert.True(JsonNode.DeepEquals(results, reread));
        Assert.Contains("\n  \"generated\": ", File.ReadAllText(path));
    }

    [Theory]
    [InlineData("{ \"cases\": [ ")]
    [InlineData("")]
    [InlineData("[1, 2]")]
    [InlineData("\0\0\0\0")]
    public void ReadExisting_DamagedFile_IsSetAsideWithAMessage_AndReadsAsNone(string damaged)
    {
        var path = _temp.File("results.json");
        File.WriteAllText(path, damaged);
        var messages = new List<string>();

        var existing = ResultsAggregator.ReadExisting(path, messages.Add, new DateTimeOffset(2026, 12, 1, 21, 30, 5, TimeSpan.Zero));

        Assert.Null(existing);
        Assert.False(File.Exists(path));
        var aside = path + ".damaged-20261201T213005Z";
        Assert.Equal(damaged, File.ReadAllText(aside));
        var message = Assert.Single(messages);
        Assert.Contains(path, message);
        Assert.Contains("results.json.damaged-20261201T213005Z", message);
        Assert.Contains("Fix: restore the committed file", message);
    }

    [Fact]
    public void ReadExisting_NoFile_IsNull()
    {
        Assert.Null(ResultsAggregator.ReadExisting(Path.Combine(_temp.Path, "missing.json")));
    }

    private static ChapterResults Chapter(string name, bool ok, string[] cases, JsonObject? settings = null, string? failure = null) =>
        new(name, ok, TimeSpan.FromSeconds(1.5), failure,
            cases.Select(c => new JsonObject { ["chapter"] = name, ["case"] = c }).ToList(), settings ?? []);

    private static IDictionary<string, object> Verdict(string json) => new Dictionary<string, object> { [MimeTypes.Verdicts] = JsonNode.Parse(json)! };

    private static IDictionary<string, object> Cases(string json) => new Dictionary<string, object> { [MimeTypes.Cases] = JsonNode.Parse(json)! };

    private static InteractiveDocument NotebookWithOutputs(params IDictionary<string, object>[] bundles)
    {
        var notebook = NotebookCells.CreatePolyglot();
        foreach (var bundle in bundles)
        {
            notebook.AddCell(NotebookCells.Code("x")).Outputs.Add(NotebookOutputs.Display(bundle));
        }

        return notebook;
    }
}
