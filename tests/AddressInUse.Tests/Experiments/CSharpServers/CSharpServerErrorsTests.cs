using AddressInUse.Experiments.CSharpServers;

namespace AddressInUse.Tests.Experiments.CSharpServers;

public sealed class CSharpServerErrorsTests
{
    [UnixFact]
    public async Task OrphanedChild_ParentHasExited_ChildStillHoldsTheListenerAndTheCSharpBindIsRefused()
    {
        // Three times: the child once exited with its parent, so one lucky run proved nothing.
        for (var i = 0; i < 3; i++)
        {
            var outcome = await CSharpServerErrors.OrphanedChildAsync();

            Assert.True(outcome is not null, "python3 is needed for this test (CI installs it with python3-nbformat).");
            var record = Assert.Single(outcome.Cases);
            Assert.Equal("EADDRINUSE", record.Outcome);
            Assert.Equal("LISTEN", $"{record.Details?["holder_state"]}");
            Assert.NotNull(record.Details?["holder_process"]);
        }
    }
}
