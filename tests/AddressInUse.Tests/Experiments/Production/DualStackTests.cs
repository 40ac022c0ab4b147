using System.Net.Sockets;
using AddressInUse.Experiments.Matrix;
using AddressInUse.Experiments.Production;
using AddressInUse.Native;
using AddressInUse.Tests.Lab;
using Xunit.Abstractions;

namespace AddressInUse.Tests.Experiments.Production;

public sealed class DualStackTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(StackAddress.V6AnyDual, StackAddress.V4Any, true)]
    [InlineData(StackAddress.V6AnyDual, StackAddress.V4Loopback, true)]
    [InlineData(StackAddress.V6AnyOnly, StackAddress.V4Any, false)]
    [InlineData(StackAddress.V6AnyOnly, StackAddress.V6Loopback, true)]
    [InlineData(StackAddress.V6AnyOnly, StackAddress.V4Mapped, false)]
    [InlineData(StackAddress.V4Mapped, StackAddress.V4Loopback, true)]
    [InlineData(StackAddress.V4Mapped, StackAddress.V4Any, true)]
    [InlineData(StackAddress.V6Loopback, StackAddress.V4Loopback, false)]
    [InlineData(StackAddress.V6Loopback, StackAddress.V4Any, false)]
    [InlineData(StackAddress.V6Loopback, StackAddress.V4Mapped, false)]
    public void Overlap_TwoAddresses_AsTheStatedRuleSaysBothWays(StackAddress a, StackAddress b, bool overlap)
    {
        Assert.Equal(overlap, DualStackRule.Overlap(a, b));
        Assert.Equal(overlap, DualStackRule.Overlap(b, a));
    }

    [LabFact]
    public async Task MeasureAsync_InTheLab_EveryCaseMeasuredAndTheRuleExplainsAll()
    {
        var matrix = await DualStack.MeasureAsync();

        var rule = DualStackRule.PredictLinux(matrix);
        output.WriteLine(rule.ToString());
        Assert.Empty(matrix.Skipped);
        Assert.Equal(DualStack.AllCases.Count, matrix.Outcomes.Count);
        Assert.Empty(rule.Mismatches);
        Assert.All(matrix.Outcomes, o => Assert.Equal("lab", o.Namespace));
        // The rule is not trivially "ok": the dual-stack wildcard refuses 0.0.0.0, and V6ONLY lets it in.
        Assert.Equal("EADDRINUSE", matrix.Find(BindApi.Native, ProtocolType.Tcp, StackAddress.V6AnyDual, StackAddress.V4Any)!.Outcome);
        Assert.Equal("ok", matrix.Find(BindApi.Native, ProtocolType.Tcp, StackAddress.V6AnyOnly, StackAddress.V4Any)!.Outcome);
        Assert.Equal("EADDRINUSE", matrix.Find(BindApi.Dotnet, ProtocolType.Tcp, StackAddress.V6AnyDual, StackAddress.V4Loopback)!.Outcome);
    }

    [LinuxFact]
    public void MeasureCases_LoopbackOnlyOnThisMachine_NoWildcardAndTheRuleExplainsAll()
    {
        // Where the lab cannot run, the chapter measures only the cases on loopback addresses, here.
        var loopbackOnly = DualStack.AllCases.Where(c => !c.UsesWildcard).ToList();

        var matrix = DualStack.MeasureCases(loopbackOnly, "host");

        Assert.Equal(loopbackOnly.Count, matrix.Outcomes.Count);
        Assert.Empty(DualStackRule.PredictLinux(matrix).Mismatches);
        Assert.Contains(matrix.Outcomes, o => !o.Ok);
        Assert.Contains(matrix.Outcomes, o => o.Ok);
    }
}
