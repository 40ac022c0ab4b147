using AddressInUse.Experiments.Matrix;

namespace AddressInUse.Tests.Experiments.Matrix;

[Collection(SpecificPortCollection.Name)]
public sealed class BindRuleTests
{
    [LinuxFact]
    public async Task PredictLinux_BothNeedItCases_DecidesEveryCaseAndMatchesEveryMeasurement()
    {
        var matrix = await PortSharing.MeasureAsync(PortSharingPlan.BothNeedIt() with { ProbesPerTarget = 2 });

        var rule = BindRule.PredictLinux(matrix);

        Assert.NotEmpty(rule.Predictions);
        Assert.Equal(rule.Predictions.Count, rule.Decided);
        Assert.Empty(rule.Mismatches);
        // The rule is not trivially "ok": it predicts refusals that were measured as refusals.
        Assert.Contains(rule.Predictions, p => p.PredictedOk == false && !p.Outcome.Ok);
        Assert.Contains(rule.Predictions, p => p.PredictedOk == true && p.Outcome.Ok);
    }
}
