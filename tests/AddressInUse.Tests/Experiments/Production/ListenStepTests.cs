using AddressInUse.Experiments.Matrix;
using AddressInUse.Experiments.Production;
using AddressInUse.Native;

namespace AddressInUse.Tests.Experiments.Production;

public sealed class ListenStepTests
{
    private static readonly Dictionary<string, int> Neither = new() { ["SO_REUSEADDR"] = 0, ["SO_REUSEPORT"] = 0 };
    private static readonly Dictionary<string, int> Addr = new() { ["SO_REUSEADDR"] = 1, ["SO_REUSEPORT"] = 0 };
    private static readonly Dictionary<string, int> Port = new() { ["SO_REUSEADDR"] = 0, ["SO_REUSEPORT"] = 1 };

    private static ListenStepOutcome Outcome(ListenOrder order, Dictionary<string, int> options) =>
        new(new ListenStepCase(BindApi.Native, SocketOptionSet.None, order), [], options, options);

    [Theory]
    [InlineData(ListenOrder.BindBindListenListen, "addr", true, false)]
    [InlineData(ListenOrder.BindListenBindListen, "addr", false, false)]
    [InlineData(ListenOrder.BindBindListenListen, "port", true, true)]
    [InlineData(ListenOrder.BindListenBindListen, "port", true, true)]
    [InlineData(ListenOrder.BindBindListenListen, "neither", false, false)]
    public void PredictLinux_OptionsAndOrder_BindAndListenAsTheRuleSays(ListenOrder order, string options, bool bindOk, bool listenOk)
    {
        var prediction = ListenRule.PredictLinux(Outcome(order, options switch { "addr" => Addr, "port" => Port, _ => Neither }));

        Assert.Equal((bindOk, listenOk), (prediction.SecondBindOk, prediction.SecondListenOk));
    }

    [LinuxFact]
    public void Measure_EveryCase_TheRuleExplainsEveryCallAndTheSecondListenDecidesWithReuseAddrAlone()
    {
        var matrix = ListenStep.Measure();

        var rule = ListenRule.PredictLinux(matrix);
        Assert.Equal(ListenStep.AllCases.Count, rule.Predictions.Count);
        Assert.Empty(rule.Mismatches);
        var reuseAddr = matrix.Outcomes.Single(o => o.Case.Name == "native-reuseaddr-bind-bind-listen-listen");
        Assert.True(reuseAddr.Find("second", "bind")!.Result.Ok);
        Assert.Equal("EADDRINUSE", reuseAddr.Find("second", "listen")!.Result.Outcome);
        // .NET's plain Bind sets SO_REUSEADDR on Linux, so Bind succeeds and Listen throws.
        var dotnet = matrix.Outcomes.Single(o => o.Case.Name == "dotnet-none-bind-bind-listen-listen").ToCase();
        Assert.Equal(("listen", "EADDRINUSE"), (dotnet.Step, dotnet.Outcome));
    }
}
