using System.Net;
using System.Net.NetworkInformation;
using AddressInUse.Child;
using AddressInUse.Experiments;
using AddressInUse.Native;

namespace AddressInUse.Tests.Experiments;

[Collection(SpecificPortCollection.Name)]
public sealed class RestartAfterKillTests
{
    [Fact]
    public async Task NativeNoOptions_OldConnectionClosing_RestartFailsWithEaddrinuse()
    {
        var outcome = await RestartAfterKill.RunAsync(RestartCase.NoOptions);

        Assert.False(outcome.Restart.Listening);
        Assert.Equal("bind", outcome.Restart.Result.Step);
        Assert.Equal("EADDRINUSE", outcome.Restart.Result.Error!.Name);
        Assert.Equal(Errno.NumberOf("EADDRINUSE", OsInfo.Current), outcome.Restart.Result.Error.Number);
        Assert.Equal(0, outcome.Restart.Readback["SO_REUSEADDR"]);
        Assert.Equal(TcpState.CloseWait, outcome.ClientEndStateAtRestart);
        Assert.NotEqual(TcpState.Established, outcome.ServerEndStateAtRestart);
    }

    [Fact]
    public async Task NativeReuseAddress_OldConnectionClosing_RestartListens()
    {
        var outcome = await RestartAfterKill.RunAsync(RestartCase.ReuseAddress);

        Assert.True(outcome.Restart.Listening, outcome.ToString());
        Assert.Equal(outcome.Port, outcome.Restart.Port);
        Assert.Equal(1, outcome.Restart.Readback["SO_REUSEADDR"]);
    }

    [UnixFact]
    public async Task DotnetBind_OnUnix_SetsReuseAddressItselfAndRestartListens()
    {
        var outcome = await RestartAfterKill.RunAsync(RestartCase.DotnetBind);

        Assert.True(outcome.Restart.Listening, outcome.ToString());
        Assert.Equal(1, outcome.Restart.Readback["SO_REUSEADDR"]);
        Assert.Equal(1, outcome.FirstStart.Readback["SO_REUSEADDR"]);
    }

    [Fact]
    public async Task AnyCase_AfterRun_NoChildProcessAndServerEndEndsInTimeWait()
    {
        var outcome = await RestartAfterKill.RunAsync(RestartCase.NoOptions);

        Assert.Equal(0, ServerProcess.LiveCount);
        var serverEnd = outcome.Timeline.Histories().Single(h => h.Local == outcome.ServerEnd && h.Remote == outcome.ClientEnd);
        Assert.Equal("ESTABLISHED", serverEnd.States[0]);
        Assert.Equal("TIME_WAIT", serverEnd.States[^1]);
        Assert.Contains(outcome.Timeline.Events, e => e.Kind == "kill");
        Assert.Contains(outcome.Timeline.Events, e => e.Kind == "restart" && e.Outcome == "EADDRINUSE");
    }

    [Fact]
    public async Task Run_TwiceInARow_SameOutcomes()
    {
        var first = await RestartAfterKill.RunAsync(RestartCase.NoOptions);
        var second = await RestartAfterKill.RunAsync(RestartCase.NoOptions);

        Assert.NotEqual(first.Port, second.Port);
        Assert.Equal(first.Outcome, second.Outcome);
        Assert.Equal(first.ServerEndStateAtRestart, second.ServerEndStateAtRestart);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(65536)]
    public async Task Run_PortOutOfRange_ThrowsNamingTheRange(int port)
    {
        var e = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => RestartAfterKill.RunAsync(RestartCase.NoOptions, port));
        Assert.Contains("1–65535", e.Message);
    }

    [Fact]
    public async Task Run_NonLoopbackAddress_ThrowsNamingLoopback()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => RestartAfterKill.RunAsync(RestartCase.NoOptions, 0, IPAddress.Parse("192.0.2.10")));
        Assert.Contains("not a loopback address", e.Message);
    }

    [Fact]
    public async Task Run_PortHeldByUnrelatedListener_PicksAnotherPortAndSaysSo()
    {
        using var unrelated = NativeSocket.Create();
        Assert.True(unrelated.Bind(new IPEndPoint(IPAddress.Loopback, 0)).Ok);
        Assert.True(unrelated.Listen().Ok);
        var taken = unrelated.LocalEndPoint!.Port;

        var outcome = await RestartAfterKill.RunAsync(RestartCase.NoOptions, taken);

        Assert.NotEqual(taken, outcome.Port);
        Assert.Contains(outcome.Notes, n => n.Contains($"port {taken}") && n.Contains("another program"));
        Assert.Equal("EADDRINUSE", outcome.Outcome);
    }

    [Fact]
    public async Task ToCase_NoOptionsRun_FillsTheSharedSchema()
    {
        var outcome = await RestartAfterKill.RunAsync(RestartCase.NoOptions);
        var record = outcome.ToCase();

        Assert.Equal("A1", record.Scenario);
        Assert.Equal("restart-no-options", record.Case);
        Assert.Equal("native", record.Api);
        Assert.Equal("tcp", record.Protocol);
        Assert.Equal(outcome.ServerEndStateAtRestart == TcpState.FinWait2 ? "fin_wait_2" : record.Holder, record.Holder);
        Assert.Empty(record.First.Options);
        Assert.Equal("bind", record.Step);
        Assert.Equal("EADDRINUSE", record.Outcome);
        Assert.Equal(outcome.Restart.Result.Error!.Number, record.Errno);
    }

    [Fact]
    public async Task Run_CancelledMidway_ThrowsAndLeavesNoChildProcess()
    {
        using var cancel = new CancellationTokenSource();
        var run = RestartAfterKill.RunAsync(RestartCase.NoOptions, cancellationToken: cancel.Token);
        await AddressInUse.Observation.Poll.UntilAsync(() => ServerProcess.LiveCount > 0 || run.IsCompleted, TimeSpan.FromSeconds(20), "a child server to start");

        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal(0, ServerProcess.LiveCount);
    }
}
