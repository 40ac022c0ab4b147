using AddressInUse.Observation;
using AddressInUse.Cases;
using AddressInUse.Verdicts;

namespace AddressInUse.Tests.Verdicts;

public sealed class SettingReadingTests
{
    private static EnvironmentReport Report(params OsSetting[] settings) => new("linux", "Test OS", "6.1", ".NET 10", settings);

    [Fact]
    public void SettingCases_ReadAndUnreadable_OneCasePerSettingWithItsValue()
    {
        var report = Report(new OsSetting("net.ipv4.tcp_max_tw_buckets", "262144", "cap"), new OsSetting("net.ipv4.tcp_fin_timeout", null, "orphans"));

        var cases = report.SettingCases;

        Assert.Equal(["settings/net.ipv4.tcp_max_tw_buckets/os", "settings/net.ipv4.tcp_fin_timeout/os"], cases.Select(ChapterText.IdOf));
        Assert.Equal("ok", cases[0].Outcome);
        Assert.Equal("262144", cases[0].Settings!["net.ipv4.tcp_max_tw_buckets"]);
        Assert.Equal("unreadable", cases[1].Outcome);
        Assert.Null(cases[1].Settings);
    }

    [Theory]
    [InlineData("262144", 262144d)]
    [InlineData("32768 60999", null)]
    [InlineData(null, null)]
    public void Number_OneNumberOnly_ParsedElseNull(string? value, double? expected)
    {
        var report = Report(new OsSetting("x", value, "m"));

        Assert.Equal(expected, report.Number("x"));
        Assert.Null(report.Number("absent"));
    }

    [Fact]
    public void Check_OnAReading_JudgesTheValueThatWasRead()
    {
        var report = Report(new OsSetting("net.ipv4.tcp_max_tw_buckets", "4", "cap"));
        var text = new ChapterText("03", Path.GetTempPath(), "linux");

        var verdict = text.Check("settings", "The cap is above 100.", report.SettingCases, c => double.Parse(c.Settings![c.Case]) > 100);

        Assert.Equal(TextVerdictKind.DoesNotHold, verdict.Kind);
        Assert.Contains("net.ipv4.tcp_max_tw_buckets read 4", verdict.Line);
    }
}

public sealed class MeasuredOutcomeCasesTests
{
    [Fact]
    public void BindDefault_Cases_OnePerPathWithTheReadbackBeforeInDetails()
    {
        var outcome = new AddressInUse.Experiments.BindDefaultOutcome("linux",
            new Dictionary<string, int> { ["SO_REUSEADDR"] = 0 }, new Dictionary<string, int> { ["SO_REUSEADDR"] = 1 },
            new Dictionary<string, int> { ["SO_REUSEADDR"] = 0 }, new Dictionary<string, int> { ["SO_REUSEADDR"] = 0 });

        var cases = outcome.Cases.ToList();

        Assert.Equal(["G1/bind-default/dotnet", "G1/bind-default/native"], cases.Select(ChapterText.IdOf));
        Assert.Equal(1, cases[0].Readback!["SO_REUSEADDR"]);
        Assert.Equal(0, cases[0].Details!["readback_before_bind"]!["SO_REUSEADDR"]!.GetValue<int>());
        Assert.Equal(0, cases[1].Readback!["SO_REUSEADDR"]);
    }
}
