using AddressInUse.Experiments.ClientSide;
using AddressInUse.Native;

namespace AddressInUse.Tests.Experiments.ClientSide;

// Rebinds a fixed port or churns many ephemeral ports; kept apart from tests that rebind a specific port.
[Collection(SpecificPortCollection.Name)]
public sealed class BindBeforeConnectTests
{
    [LinuxFact]
    public async Task Run_OnLinux_OldPortInTimeWait_NoOptionsBindFails_SameServerDecidedByTwReuse_OtherServerConnects()
    {
        var outcome = await BindBeforeConnect.RunAsync();

        var byCase = outcome.Attempts.ToDictionary(a => a.Case);
        Assert.Equal("TIME_WAIT", outcome.Attempts[0].OldStateAtAttempt);
        Assert.Equal(("bind", "EADDRINUSE"), (byCase["same-server-no-options"].Step, byCase["same-server-no-options"].Outcome));
        var same = byCase["same-server-reuseaddr"];
        Assert.Equal("connect", same.Step);
        if (outcome.Settings["net.ipv4.tcp_tw_reuse"] == "0")
        {
            // Without tcp_tw_reuse the kernel never hands out a 4-tuple still in TIME_WAIT.
            Assert.Equal("EADDRNOTAVAIL", same.Outcome);
        }
        else
        {
            Assert.Contains(same.Outcome, new[] { "ok", "EADDRNOTAVAIL" });
        }

        Assert.Equal(("connect", "ok"), (byCase["other-server-reuseaddr"].Step, byCase["other-server-reuseaddr"].Outcome));
        Assert.Contains("net.ipv4.tcp_tw_reuse", outcome.Settings.Keys);
    }

    [Fact]
    public void Cases_Attempts_AreE1AndE3RecordsCarryingTheSettings()
    {
        var outcome = new BindBeforeConnectOutcome(40000,
        [
            new ReconnectAttempt("same-server-reuseaddr", "same server", SocketOptionSet.ReuseAddress, "connect", "EADDRNOTAVAIL", 99, "TIME_WAIT", 0.1),
            new ReconnectAttempt("retry-same-server-reuseaddr", "same server", SocketOptionSet.ReuseAddress, "connect", "ok", null, "TIME_WAIT", 1.6),
        ], new Dictionary<string, string?> { ["net.ipv4.tcp_tw_reuse"] = "2" });

        var cases = outcome.Cases.ToList();

        Assert.Equal(["E1", "E3"], cases.Select(c => c.Scenario));
        Assert.Equal(["SO_REUSEADDR"], cases[0].Second.Options);
        Assert.Equal("2", (string?)cases[1].Details!["net.ipv4.tcp_tw_reuse"]);
        Assert.Contains("EADDRNOTAVAIL", outcome.ToHtml());
    }
}
