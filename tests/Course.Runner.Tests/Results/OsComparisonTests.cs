using AddressInUse.Verdicts;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Course.Runner.Cli;
using Course.Runner.Html;
using Course.Runner.Results;
using Course.Runner.Tests.Fixtures;
using Course.Runner.Pipeline;

namespace Course.Runner.Tests.Results;

public sealed class OsComparisonTests : IDisposable
{
    // Every results file these tests write is made up here and says so, so nobody mistakes it for a measurement.
    private const string TestData = "TEST DATA — not a real measurement";

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Images => Path.Combine(_temp.Path, "images");

    [Fact]
    public void Load_OnlyLinux_ListsMacosAndWindowsAsMissing_AndThePageSaysHowToProduceThem()
    {
        WriteResults("linux", ("A1", "restart-no-options", "native", "EADDRINUSE", 98));

        var comparison = OsComparison.Load(Images);
        var page = ComparePageRenderer.Render(comparison, "Course");

        Assert.Equal(["macos", "windows"], comparison.MissingOses);
        Assert.Contains("Missing: macos, windows.", page);
        Assert.Contains("dotnet run --project lib/Course.Runner -- run", page);
        Assert.Contains("commit <code>images/&lt;os&gt;/</code>", page);
        Assert.Contains("<td>EADDRINUSE (98)</td>", page);
        Assert.DoesNotContain("class=\"differs\"", page);
    }

    [Fact]
    public void Load_LinuxAndTestMacos_OneRowPerCase_HighlightsOnlyDifferingOutcomes()
    {
        WriteResults("linux",
            ("A1", "restart-no-options", "native", "EADDRINUSE", 98),
            ("A1", "restart-so-reuseaddr", "native", "ok", null),
            ("G1", "bind-time-wait", "dotnet", "ok", null));
        WriteResults("macos",
            ("A1", "restart-no-options", "native", "EADDRINUSE", 48),
            ("A1", "restart-so-reuseaddr", "native", "EADDRINUSE", 48),
            ("E1", "same-server", "native", "EADDRNOTAVAIL", 49));

        var comparison = OsComparison.Load(Images);
        var page = ComparePageRenderer.Render(comparison, "Course");

        Assert.Equal(["linux", "macos"], comparison.Oses.Select(o => o.Os));
        Assert.Equal(["windows"], comparison.MissingOses);
        Assert.Equal(4, comparison.Rows.Count);
        var sameError = comparison.Rows.Single(r => r.Case == "restart-no-options");
        Assert.False(sameError.Differs);
        Assert.Equal("EADDRINUSE (48)", sameError.Outcomes["macos"]);
        Assert.True(comparison.Rows.Single(r => r.Case == "restart-so-reuseaddr").Differs);
        Assert.Null(comparison.Rows.Single(r => r.Scenario == "E1").Outcomes["linux"]);
        Assert.Contains("<td class=\"differs\">EADDRINUSE (48)</td>", page);
        Assert.Contains("<td class=\"missing\">not measured</td>", page);
        Assert.Equal(1, Regex.Count(page, "<tr class=\"differs\">"));
        Assert.Contains(TestData, page);
        Assert.True(page.IndexOf(">A1<", StringComparison.Ordinal) < page.IndexOf(">E1<", StringComparison.Ordinal));
    }

    [Fact]
    public void Render_VerdictsOnTwoOses_OneRowPerSentence_FailedRowHighlighted_MissingSaysNoVerdict()
    {
        WriteResults("linux", ("A1", "restart-no-options", "native", "EADDRINUSE", 98));
        WriteResults("macos", ("A1", "restart-no-options", "native", "EADDRINUSE", 48));
        AddVerdicts("linux", ("01/observe", "holds"), ("01/macos-errno", "not_measured"));
        AddVerdicts("macos", ("01/observe", "does_not_hold"));

        var comparison = OsComparison.Load(Images);
        var page = ComparePageRenderer.Render(comparison, "Course");

        Assert.Equal(["01/observe", "01/macos-errno"], comparison.VerdictRows.Select(r => r.Id));
        Assert.Equal("does_not_hold", comparison.VerdictRows[0].Verdicts["macos"]!.Value.Verdict);
        Assert.Null(comparison.VerdictRows[1].Verdicts["macos"]);
        Assert.Contains("The course's own sentences", page);
        Assert.Contains("<td class=\"verdict does-not-hold\" title=\"measured on macos\">does not hold</td>", page);
        Assert.Contains("<td class=\"missing\">no verdict</td>", page);
        Assert.Equal(1, Regex.Count(page, "<tr class=\"differs\"><td>sentence "));
    }

    [Fact]
    public void WriteComparison_BrokenSecondFile_WritesThePageAndReportsTheFile()
    {
        WriteResults("linux", ("A1", "restart-no-options", "native", "EADDRINUSE", 98));
        Directory.CreateDirectory(Path.Combine(Images, "windows"));
        File.WriteAllText(Path.Combine(Images, "windows", "results.json"), "{ not json");

        var path = CourseRun.WriteComparison(Path.Combine(Images, "linux"), Path.Combine(_temp.Path, "out"));

        var page = File.ReadAllText(path);
        Assert.Equal("compare.html", Path.GetFileName(path));
        Assert.Contains("is not valid JSON", page);
        Assert.Contains("<td>EADDRINUSE (98)</td>", page);
        Assert.DoesNotContain("<script", page);
    }

    private void AddVerdicts(string os, params (string Id, string Verdict)[] verdicts)
    {
        var path = Path.Combine(Images, os, "results.json");
        var results = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        results["verdicts"] = new JsonArray(verdicts.Select(v => (JsonNode?)new JsonObject
        {
            ["notebook"] = "01-test", ["id"] = v.Id, ["sentence"] = $"sentence {v.Id}", ["verdict"] = v.Verdict, ["measured"] = $"measured on {os}",
        }).ToArray());
        ResultsAggregator.Write(path, results);
    }

    private void WriteResults(string os, params (string Scenario, string Case, string Api, string Outcome, int? Errno)[] cases)
    {
        var array = new JsonArray();
        foreach (var c in cases)
        {
            var item = new JsonObject { ["chapter"] = "00-test", ["scenario"] = c.Scenario, ["case"] = c.Case, ["api"] = c.Api, ["outcome"] = c.Outcome };
            if (c.Errno is { } errno)
            {
                item["errno"] = errno;
            }

            array.Add(item);
        }

        var results = new JsonObject
        {
            ["generated"] = "2000-01-01T00:00:00Z",
            ["os"] = new JsonObject { ["family"] = os, ["description"] = TestData, ["kernel"] = "test" },
            ["dotnet"] = "test",
            ["settings"] = new JsonObject { ["test.setting"] = os },
            ["chapters"] = new JsonObject(),
            ["cases"] = array,
        };
        ResultsAggregator.Write(Path.Combine(Images, os, "results.json"), results);
    }
}
