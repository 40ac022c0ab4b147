using AddressInUse.Experiments.Production;
using AddressInUse.Lab;
using Xunit.Abstractions;

namespace AddressInUse.Tests.Experiments.Production;

public sealed class ReusePortUsersTests(ITestOutputHelper output)
{
    [Fact]
    public async Task RunAsync_AnyMachine_MeasuresWithTwoUsersOrSaysWhyNot()
    {
        var outcome = await ReusePortUsers.RunAsync();
        output.WriteLine(outcome.ToString());

        if (!NetworkLab.SecondUser.Available)
        {
            Assert.Empty(outcome.Joins);
            Assert.Contains("Not measured here", outcome.ToHtml());
            return;
        }
        Assert.All(outcome.Joins.Where(j => j.Joiner == "same user"), j => Assert.Equal("ok", j.Outcome));
        // Linux admits a socket into a SO_REUSEPORT group only if its owner is the group's: another user's bind is refused.
        Assert.All(outcome.Joins.Where(j => j.Joiner == "another user"), j => Assert.Equal(("bind", "EADDRINUSE"), (j.Step, j.Outcome)));
        Assert.Equal([0, 1], outcome.Joins.Where(j => j.Protocol == "tcp").Select(j => j.Uid ?? -1));
        Assert.Equal(4, outcome.Cases.Count());
    }
}
