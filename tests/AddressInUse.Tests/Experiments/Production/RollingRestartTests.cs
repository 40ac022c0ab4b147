using AddressInUse.Experiments.Production;
using AddressInUse.Tests.Lab;
using Xunit.Abstractions;

namespace AddressInUse.Tests.Experiments.Production;

public sealed class RollingRestartTests(ITestOutputHelper output)
{
    [LabFact]
    public async Task RunAsync_OldListenerClosesWithAQueue_ResetsOnlyWithoutMigrationAndNeverInTheSafeOrder()
    {
        var outcome = await RollingRestart.RunAsync(connections: 200);
        output.WriteLine(outcome.ToString());

        var run = (string order, string migrate) => outcome.Runs.Single(r => r.Order == order && r.MigrateReq == migrate);
        var unsafeClose = run("close-with-queue", "0");
        Assert.True(unsafeClose.Reset > 0, "closing with a queue and tcp_migrate_req = 0 reset no connection");
        Assert.Equal(unsafeClose.Reset, unsafeClose.QueuedAtClose);
        var migrated = run("close-with-queue", "1");
        Assert.Equal(0, migrated.Reset);
        Assert.True(migrated.QueuedAtClose > 0);
        foreach (var safe in new[] { run("steer-drain-close", "0"), run("steer-drain-close", "1") })
        {
            Assert.Equal(0, safe.Reset);
            Assert.Equal(safe.Connections, safe.ServedByOld + safe.ServedByNew);
        }
        Assert.All(outcome.Runs, r => Assert.Equal(0, r.Other));
        Assert.All(outcome.Runs, r => Assert.InRange(r.IntruderAccepted, 1, r.IntruderProbes - 1));
    }
}
