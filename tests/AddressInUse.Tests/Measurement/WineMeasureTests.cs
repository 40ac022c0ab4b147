using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace AddressInUse.Tests.Measurement;

/// <summary>A fact that needs wine64 on Linux: skipped naming it and its install command, failed instead under COURSE_REQUIRE_REAL_PARTS=1; COURSE_WINE_TESTS=0 turns it off.</summary>
public sealed class WineFactAttribute : RealPartsFactAttribute
{
    /// <summary>Needs Wine, on Linux.</summary>
    public WineFactAttribute()
        : base(RealPart.Wine)
    {
        LinuxOnly = true;
        if (WineRun.TurnedOff is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>Chapters 01, 05 and 10's experiments through the Windows code path under Wine, quick mode, one run shared by these tests.</summary>
public sealed class WineMeasureTests(WineRun run, ITestOutputHelper output) : IClassFixture<WineRun>
{
    private static readonly string[] Chapters = ["01-address-already-in-use", "05-so-reuseaddr", "10-csharp-and-your-os"];

    [WineFact]
    public void MeasureUnderWine_Chapters01To10Quick_EveryChapterRunsWithoutCrashOrUnhandledException()
    {
        output.WriteLine($"win-x64 publish {run.PublishSeconds:0} s, measure under Wine {run.RunSeconds:0} s");
        Assert.True(run.Results is not null, $"no results.json (exit {run.ExitCode}):\n{run.Output}");
        Assert.DoesNotContain("Unhandled exception", run.Output, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Fatal error", run.Output, StringComparison.Ordinal);
        foreach (var chapter in Chapters)
        {
            var entry = run.Results!["chapters"]?[chapter];
            Assert.True(entry?["status"]?.GetValue<string>() == "ok", $"{chapter}: {entry?.ToJsonString() ?? "missing"}\n{run.Output}");
        }
        Assert.Equal(0, run.ExitCode);
    }

    [WineFact]
    public void MeasureUnderWine_EveryCase_IsOkOrAWindowsErrorName()
    {
        Assert.NotNull(run.Results);
        var cases = run.Results!["cases"]!.AsArray().OfType<JsonObject>().ToList();
        Assert.Contains(cases, c => c["chapter"]!.GetValue<string>() == "01-address-already-in-use");
        foreach (var c in cases)
        {
            var outcome = c["outcome"]!.GetValue<string>();
            var errno = c["errno"]?.GetValue<int>();
            Assert.True(outcome == "ok" ? errno is null : Regex.IsMatch(outcome, "^WSAE[A-Z]+$") && errno is >= 10000 and < 11100,
                $"{c["scenario"]} {c["case"]} {c["api"]}: outcome '{outcome}', errno {errno?.ToString() ?? "none"}");
        }
    }

    [WineFact]
    public void MeasureUnderWine_ResultsFile_IsMarkedAsAnEmulationAndNeverAsWindows()
    {
        Assert.NotNull(run.Results);
        var label = run.Results!["emulation"]?.GetValue<string>() ?? "";
        Assert.Matches(@"^Windows code path under Wine \d+\.\d+\S* on Linux \S+ — an emulation, not Windows$", label);
        Assert.Equal("wine", run.Results["os"]?["family"]?.GetValue<string>());
        Assert.DoesNotContain(run.Results["cases"]!.AsArray().OfType<JsonObject>(), c => c["step"]?.GetValue<string>() == "verdict");
    }

    [WineFact]
    public void MeasureUnderWine_AfterTheRun_NoProcessOrWineserverOfThePrefixIsLeft()
    {
        Assert.True(run.LeftBehind.Count == 0, "left behind: " + string.Join("; ", run.LeftBehind));
    }
}
