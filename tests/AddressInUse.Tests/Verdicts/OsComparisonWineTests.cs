using System.Text.Json.Nodes;
using AddressInUse.Cases;
using AddressInUse.Verdicts;

namespace AddressInUse.Tests.Verdicts;

/// <summary>Wine's results stand apart on the comparison: their own last column, never Windows, never a difference.</summary>
public sealed class OsComparisonWineTests : IDisposable
{
    private const string Label = "Windows code path under Wine 8.0 on Linux 6.1.0 — an emulation, not Windows";
    private readonly string _root = Directory.CreateTempSubdirectory("course-compare-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Load_WineBesideLinux_WineIsAnEmulationColumnLastAndNeverMakesARowDiffer()
    {
        Write("wine", "WSAEADDRINUSE", 10048, Label);
        Write("linux", "ok", null, null);

        var comparison = OsComparison.Load(_root);

        Assert.Equal(new[] { "linux", "wine" }, comparison.Oses.Select(o => o.Os));
        Assert.True(comparison.Oses[1].IsEmulation);
        Assert.Equal(Label, comparison.Oses[1].Emulation);
        var row = Assert.Single(comparison.Rows);
        Assert.Equal("WSAEADDRINUSE (10048)", row.Outcomes["wine"]);
        Assert.False(row.Differs);
    }

    [Fact]
    public void ToHtml_LinuxAndWine_ComparesNothingAndNeverClaimsAgreement()
    {
        Write("linux", "EADDRINUSE", 98, null);
        Write("wine", "EADDRINUSE", 10048, Label);

        var html = OsComparison.Load(_root).ToHtml();

        Assert.Contains("nothing to compare", html, StringComparison.Ordinal);
        Assert.Contains("never evidence for Windows", html, StringComparison.Ordinal);
        Assert.DoesNotContain("same outcome", html, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingOses_OnlyWineResults_WindowsIsStillMissing()
    {
        Write("wine", "ok", null, Label);

        var comparison = OsComparison.Load(_root);

        Assert.Contains("windows", comparison.MissingOses);
        Assert.Contains(Label, comparison.ToHtml(), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_LinuxAndWindowsDisagree_RowDiffersWhateverWineSays()
    {
        Write("linux", "ok", null, null);
        Write("windows", "WSAEACCES", 10013, null);
        Write("wine", "ok", null, Label);

        var row = Assert.Single(OsComparison.Load(_root).Rows);

        Assert.True(row.Differs);
    }

    private void Write(string os, string outcome, int? errno, string? emulation)
    {
        var c = new JsonObject
        {
            ["chapter"] = "05-so-reuseaddr", ["scenario"] = "D1", ["case"] = "listen-same-none-none", ["api"] = "native", ["outcome"] = outcome,
        };
        if (errno is not null)
        {
            c["errno"] = errno;
        }
        var doc = new JsonObject { ["os"] = new JsonObject { ["family"] = os }, ["cases"] = new JsonArray(c) };
        if (emulation is not null)
        {
            doc["emulation"] = emulation;
        }
        Directory.CreateDirectory(Path.Combine(_root, os));
        File.WriteAllText(Path.Combine(_root, os, "results.json"), doc.ToJsonString());
    }
}
