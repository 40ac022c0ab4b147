using System.Text.Json.Nodes;
using AddressInUse.Experiments;

namespace AddressInUse.Tests.Experiments;

[Collection(SpecificPortCollection.Name)]
public sealed class RestartChartsTests
{
    [Fact]
    public async Task Timeline_OneRun_StateBarsForBothEndsAndMarkersForKillAndRestart()
    {
        var outcome = await RestartAfterKill.RunAsync(RestartCase.NoOptions);

        var figure = JsonNode.Parse(outcome.Chart.ToJson())!.AsObject();
        var traces = figure["data"]!.AsArray().Select(t => t!.AsObject()).ToList();

        var names = traces.Select(t => t["name"]!.GetValue<string>()).ToList();
        Assert.Contains("ESTABLISHED", names);
        Assert.Contains("CLOSE_WAIT", names);
        Assert.Contains("TIME_WAIT", names);
        Assert.Contains("kill", names);
        Assert.Contains("restart: EADDRINUSE", names);
        var rows = traces.Where(t => t["type"]!.GetValue<string>() == "bar").SelectMany(t => t["y"]!.AsArray().Select(y => y!.GetValue<string>())).Distinct().ToList();
        Assert.Equal(2, rows.Count);
        var kill = traces.Single(t => t["name"]!.GetValue<string>() == "kill");
        Assert.Equal(0, kill["x"]![0]!.GetValue<double>(), 3);
    }
}
