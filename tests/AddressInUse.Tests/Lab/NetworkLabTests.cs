using AddressInUse.Experiments.ClientSide;
using AddressInUse.Experiments.Teardown;
using AddressInUse.Lab;

namespace AddressInUse.Tests.Lab;

/// <summary>A fact that needs the private network lab (Linux with unprivileged user namespaces and util-linux's unshare): skipped saying why, failed instead under COURSE_REQUIRE_REAL_PARTS=1.</summary>
public sealed class LabFactAttribute : RealPartsFactAttribute
{
    /// <summary>Needs the lab, on Linux.</summary>
    public LabFactAttribute()
        : base(RealPart.NetworkLab)
    {
        LinuxOnly = true;
    }
}

public sealed class NetworkLabTests
{
    private static readonly string[] HostSettings =
        ["net.ipv4.tcp_tw_reuse", "net.ipv4.tcp_timestamps", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_max_tw_buckets", "net.ipv4.ip_local_port_range"];

    [LabFact]
    public async Task RunAsync_SettingsWrittenInTheLab_ReadBackThereAndTheHostUnchanged()
    {
        var before = HostSettings.ToDictionary(n => n, LabSettings.Read);
        // Values that differ from the host's, so that a write that leaked out would show.
        var inside = new Dictionary<string, string>
        {
            ["net.ipv4.tcp_tw_reuse"] = before["net.ipv4.tcp_tw_reuse"] == "0" ? "1" : "0",
            ["net.ipv4.tcp_timestamps"] = before["net.ipv4.tcp_timestamps"] == "0" ? "1" : "0",
            ["net.ipv4.tcp_fin_timeout"] = before["net.ipv4.tcp_fin_timeout"] == "7" ? "8" : "7",
            ["net.ipv4.tcp_max_tw_buckets"] = before["net.ipv4.tcp_max_tw_buckets"] == "5" ? "6" : "5",
            ["net.ipv4.ip_local_port_range"] = before["net.ipv4.ip_local_port_range"] == "40000 40010" ? "40000 40020" : "40000 40010",
        };

        var result = await NetworkLab.RunAsync("probe", inside, timeout: TimeSpan.FromSeconds(60));

        foreach (var (name, value) in inside)
        {
            Assert.Equal(value, result["settings"]![name]!.GetValue<string>());
        }
        Assert.Equal(["lo:Up"], result["interfaces"]!.AsArray().Select(i => i!.GetValue<string>()));
        Assert.NotEqual(NetworkLab.CurrentNamespace(), result["namespace"]!.GetValue<string>());
        Assert.Equal(before, HostSettings.ToDictionary(n => n, LabSettings.Read));
    }

    [Fact]
    public async Task RunAsync_SettingOutsideTheList_ClearErrorNamingTheAllowedOnes()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => NetworkLab.RunAsync("probe", new Dictionary<string, string> { ["net.core.somaxconn"] = "1" }));

        Assert.Contains("net.core.somaxconn", error.Message);
        Assert.Contains("net.ipv4.tcp_tw_reuse", error.Message);
    }

    [LabFact]
    public async Task RunAsync_UnknownExperiment_ClearErrorListingTheEntryPointsTable()
    {
        // The lab knows no experiment: the child looks the name up in the table its entry point composed, and says which exist.
        var error = await Assert.ThrowsAsync<ArgumentException>(() => NetworkLab.RunAsync("nope", new Dictionary<string, string>(), timeout: TimeSpan.FromSeconds(60)));

        Assert.Contains("'nope'", error.Message);
        Assert.Contains("e3", error.Message);
        Assert.Contains("probe", error.Message);
    }

    [Fact]
    public void Write_OutsideTheLabsChild_Refused()
    {
        var write = typeof(LabSettings).GetMethod("Write", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;

        var error = Assert.Throws<System.Reflection.TargetInvocationException>(() => write.Invoke(null, ["net.ipv4.tcp_tw_reuse", "0"]));

        Assert.IsType<InvalidOperationException>(error.InnerException);
    }

    [LabFact]
    public async Task TimeWaitReuse_EveryCombination_BoundConnectTakesOverWithTimestampsEphemeralNeedsTwReuseAndTheDelay()
    {
        var before = HostSettings.ToDictionary(n => n, LabSettings.Read);

        var e3 = await TimeWaitReuse.RunAsync();

        Assert.Equal(6 * 8, e3.Attempts.Count);
        Assert.All(e3.Attempts, a => Assert.Equal("TIME_WAIT", a.OldState));
        // Another server is a new 4-tuple: always reachable.
        Assert.True(e3.AllConnected(a => a.Destination == "other"));
        // Without timestamps nothing takes a TIME_WAIT 4-tuple over.
        Assert.True(e3.NoneConnected(a => a.Destination == "same" && a.Timestamps == "0"));
        // A socket that bound its port itself takes the entry over whenever the old connection used timestamps, whatever tcp_tw_reuse says.
        Assert.True(e3.AllConnected(a => a.Destination == "same" && a.Timestamps == "1" && a.Bind == "explicit"));
        // An ephemeral connect needs tcp_tw_reuse on, and the delay passed.
        Assert.True(e3.NoneConnected(a => a.Destination == "same" && a.Bind == "ephemeral" && (a.TwReuse == "0" || a.When == "immediately")));
        Assert.True(e3.AllConnected(a => a.Destination == "same" && a.Bind == "ephemeral" && a.Timestamps == "1" && a.TwReuse != "0" && a.When == "after_delay"));
        var record = e3.Cases.First(c => c.Case == "ephemeral-same-after_delay-tw_reuse1-ts1");
        Assert.Equal("1", record.Settings!["net.ipv4.tcp_tw_reuse"]);
        Assert.Equal("after_delay", record.Details!["when"]!.GetValue<string>());
        Assert.Equal(before, HostSettings.ToDictionary(n => n, LabSettings.Read));
    }

    [LabFact]
    public async Task FinTimeout_ThreeSecondsInTheLab_OrphanedFinWait2EndsInAboutThreeSeconds()
    {
        var outcome = await TimeWaitSettings.FinTimeoutAsync(3);

        Assert.NotNull(outcome.Seconds);
        Assert.InRange(outcome.Seconds!.Value, 2.0, 8.0);
        Assert.Contains(outcome.Spans, s => s.State == "FIN_WAIT_2");
        Assert.Equal(outcome.HostFinTimeout, LabSettings.Read("net.ipv4.tcp_fin_timeout"));
    }

    [LabFact]
    public async Task TimeWaitLength_ThreeSecondFinTimeoutInTheLab_StillSixtySecondsNeverLess()
    {
        // The clock starts before the close that begins TIME_WAIT, so however slowly the child sees the entry, it never reads under 60 s.
        var outcome = await TimeWaitSettings.TimeWaitLengthAsync(finTimeoutSeconds: 3);

        Assert.NotNull(outcome.Seconds);
        Assert.InRange(outcome.Seconds!.Value, 60.0, 66.0);
    }

    [LabFact]
    public async Task Buckets_SmallLimitBelowTheEntriesAlreadyPresent_NoNewTimeWaitEntry()
    {
        var outcome = await TimeWaitSettings.BucketsAsync(connections: 20, smallBuckets: 4);

        Assert.Equal(20, outcome.SeenWithDefault);
        // The first 20 entries still live when the limit drops to 4, so no new entry fits at all.
        Assert.Equal(20, outcome.PresentBeforeSmall);
        Assert.Equal(0, outcome.SeenWithSmall);
    }
}
