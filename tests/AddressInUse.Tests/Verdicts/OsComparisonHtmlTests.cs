using AddressInUse.Cases;
using AddressInUse.Verdicts;

namespace AddressInUse.Tests.Verdicts;

public sealed class OsComparisonHtmlTests : IDisposable
{
    private readonly string _images = Directory.CreateTempSubdirectory("course-compare-").FullName;

    public void Dispose() => Directory.Delete(_images, recursive: true);

    private void Write(string os, string outcome, int? errno)
    {
        Directory.CreateDirectory(Path.Combine(_images, os));
        var errnoJson = errno is null ? "null" : errno.ToString();
        File.WriteAllText(Path.Combine(_images, os, "results.json"), $$"""
            {"os": {"description": "TEST DATA — not a real measurement ({{os}})"}, "dotnet": "test",
             "cases": [
               {"scenario": "A1", "case": "restart-no-options", "api": "native", "outcome": "{{outcome}}", "errno": {{errnoJson}}},
               {"scenario": "A1", "case": "restart-so-reuseaddr", "api": "native", "outcome": "ok"}
             ]}
            """);
    }

    [Fact]
    public void ToHtml_OneOs_SaysNothingToCompareAndNamesTheMissingOses()
    {
        Write("linux", "EADDRINUSE", 98);

        var comparison = OsComparison.Load(_images);
        var html = comparison.ToHtml();

        Assert.Contains("nothing to compare", html);
        Assert.Contains("macos, windows", html);
        Assert.Contains("TEST DATA", html);
    }

    [Fact]
    public void ToHtml_TwoOsesDisagreeOnOneCase_ListsOnlyThatCaseWithBothOutcomes()
    {
        Write("linux", "EADDRINUSE", 98);
        Write("macos", "ok", null);

        var comparison = OsComparison.Load(_images);
        var html = comparison.ToHtml();

        Assert.Equal(["linux", "macos"], comparison.Oses.Select(o => o.Os));
        Assert.Contains("<b>1</b> cases differ", html);
        Assert.Contains("restart-no-options", html);
        Assert.Contains("EADDRINUSE (98)", html);
        Assert.DoesNotContain("restart-so-reuseaddr", html);
        Assert.Contains("Missing: <b>windows</b>", html);
    }
}
