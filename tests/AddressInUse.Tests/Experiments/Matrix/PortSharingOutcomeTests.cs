using System.Text.Json;
using AddressInUse.Charts;
using AddressInUse.Child;
using AddressInUse.Experiments.Matrix;
using AddressInUse.Native;
using AddressInUse.Display;
using AddressInUse.Cases;

namespace AddressInUse.Tests.Experiments.Matrix;

public sealed class PortSharingOutcomeTests
{
    private static readonly Errno AddressInUse = Errno.From(98, OsFamily.Linux);

    internal static PortSharingOutcome Outcome(
        PortHolder holder,
        SocketOptionSet first,
        SocketOptionSet second,
        params StepResult[] steps) => Outcome(holder, first, second, BindApi.Native, AddressPair.Same, steps);

    internal static PortSharingOutcome Outcome(
        PortHolder holder,
        SocketOptionSet first,
        SocketOptionSet second,
        BindApi api,
        AddressPair addresses,
        params StepResult[] steps)
    {
        var protocols = holder == PortHolder.Udp ? ProtocolPair.UdpUdp : ProtocolPair.TcpTcp;
        var c = new PortSharingCase(api, protocols, holder, addresses, first, second);
        return new PortSharingOutcome(c, 40000, holder == PortHolder.TimeWait ? "TIME_WAIT" : null, steps,
            new Dictionary<string, int> { ["SO_REUSEADDR"] = first.HasFlag(SocketOptionSet.ReuseAddress) ? 1 : 0 },
            new Dictionary<string, int> { ["SO_REUSEADDR"] = second.HasFlag(SocketOptionSet.ReuseAddress) ? 1 : 0 },
            null, Array.Empty<ShareCount>(), Array.Empty<string>());
    }

    [Fact]
    public void ToCase_BindRefused_RecordsBindStepErrnoNameAndNumber()
    {
        var o = Outcome(PortHolder.TimeWait, SocketOptionSet.None, SocketOptionSet.ReuseAddress, new StepResult("bind", AddressInUse));

        var record = o.ToCase("D1");

        Assert.Equal("D1", record.Scenario);
        Assert.Equal("native.tcp.time_wait.same.none.reuseaddr", record.Case);
        Assert.Equal("native", record.Api);
        Assert.Equal("tcp", record.Protocol);
        Assert.Equal("time_wait", record.Holder);
        Assert.Equal("bind", record.Step);
        Assert.Equal("EADDRINUSE", record.Outcome);
        Assert.Equal(98, record.Errno);
        Assert.Equal(new SocketSide("127.0.0.1", "tcp", Array.Empty<string>()).Address, record.First.Address);
        Assert.Empty(record.First.Options);
        Assert.Equal(new[] { "SO_REUSEADDR" }, record.Second.Options);
        Assert.Equal(1, record.Readback!["SO_REUSEADDR"]);
        Assert.Equal("TIME_WAIT", record.Details!["holder_state"]!.GetValue<string>());
        Assert.Equal("EADDRINUSE", record.Details["steps"]!["bind"]!.GetValue<string>());
    }

    [Fact]
    public void ToCase_ListenRefusedAfterBind_DecisiveStepIsListen()
    {
        var o = Outcome(PortHolder.Bound, SocketOptionSet.ReuseAddress, SocketOptionSet.ReuseAddress,
            StepResult.Success("bind"), new StepResult("listen", AddressInUse));

        var record = o.ToCase("D2");

        Assert.Equal("listen", record.Step);
        Assert.Equal("EADDRINUSE", record.Outcome);
        Assert.True(o.BindOk);
        Assert.False(o.Ok);
        Assert.Equal(MatrixCellKind.LaterStepFailed, PortSharingMatrix.Cell(o).Kind);
    }

    [Fact]
    public void ToCase_AllStepsOk_OutcomeOkWithoutErrnoAndLastStepNamed()
    {
        var o = Outcome(PortHolder.Listener, SocketOptionSet.ReusePort, SocketOptionSet.ReusePort, StepResult.Success("bind"), StepResult.Success("listen"));

        var record = o.ToCase("D1");
        var json = CaseRecord.ToJsonArray(new[] { record });

        Assert.Equal("ok", record.Outcome);
        Assert.Equal("listen", record.Step);
        Assert.Null(record.Errno);
        Assert.DoesNotContain("\"errno\"", json);
    }

    [Fact]
    public void ToCase_DotnetPath_RecordsTheDotnetCallsMade()
    {
        var o = Outcome(PortHolder.Listener, SocketOptionSet.ReuseAddress, SocketOptionSet.ExclusiveAddressUse, BindApi.Dotnet, AddressPair.Same,
            new StepResult("bind", AddressInUse));

        var record = o.ToCase("G3");

        Assert.Equal("dotnet", record.Api);
        Assert.Contains("SocketOptionName.ReuseAddress", record.Details!["dotnet_calls"]!["first"]!.GetValue<string>());
        Assert.Contains("ExclusiveAddressUse = true", record.Details["dotnet_calls"]!["second"]!.GetValue<string>());
    }

    [Fact]
    public void ToCase_SharedListeners_RecordsWhoAccepted()
    {
        var o = Outcome(PortHolder.Listener, SocketOptionSet.ReusePort, SocketOptionSet.ReusePort, StepResult.Success("bind"), StepResult.Success("listen"))
            with { ShareKind = "accept", Shares = new[] { new ShareCount("127.0.0.1", 8, 5, 3) } };

        var details = o.ToCase("D1").Details!;

        Assert.Equal(5, details["accepted_by"]![0]!["first"]!.GetValue<int>());
        Assert.Equal(3, details["accepted_by"]![0]!["second"]!.GetValue<int>());
        Assert.True(o.TrafficSplit);
        Assert.Equal("ok, shared", PortSharingMatrix.Cell(o).Text);
    }

    [Fact]
    public void ToCase_WildcardPair_AddressesOfBothSides()
    {
        var o = Outcome(PortHolder.Listener, SocketOptionSet.None, SocketOptionSet.None, BindApi.Native, AddressPair.WildcardThenSpecific,
            new StepResult("bind", AddressInUse));

        var record = o.ToCase("D4");

        Assert.Equal("0.0.0.0", record.First.Address);
        Assert.Equal("127.0.0.1", record.Second.Address);
    }

    [Fact]
    public void Cell_BindRefused_RedWithErrnoNameAndNumberOnHover()
    {
        var o = Outcome(PortHolder.Listener, SocketOptionSet.None, SocketOptionSet.None, new StepResult("bind", AddressInUse));

        var cell = PortSharingMatrix.Cell(o);

        Assert.Equal(MatrixCellKind.Failed, cell.Kind);
        Assert.Equal("EADDRINUSE", cell.Text);
        Assert.Contains("EADDRINUSE (98)", cell.Hover);
    }

    [Fact]
    public void Matrix_FormatterAttribute_HtmlFirstAndCases()
    {
        var attribute = typeof(PortSharingMatrix).GetCustomAttributes(true).Single(a => a.GetType().Name == "TypeFormatterSourceAttribute");
        var preferred = (string[])attribute.GetType().GetProperty("PreferredMimeTypes")!.GetValue(attribute)!;

        Assert.Equal(new[] { MimeTypes.Html, MimeTypes.Cases }, preferred);
    }

    [Fact]
    public void Matrix_Formatted_CasesJsonHasEveryOutcomeAndTableCarriesItsOwn()
    {
        var matrix = Sample();
        var source = new CourseFormatterSource().CreateTypeFormatters().Cast<CourseFormatter>().ToList();
        string? Format(object value, string mime)
        {
            var writer = new StringWriter();
            return source.Where(f => f.MimeType == mime).Any(f => f.Format(value, writer)) ? writer.ToString() : null;
        }

        var cases = JsonSerializer.Deserialize<JsonElement>(Format(matrix, MimeTypes.Cases)!);
        var tableCases = JsonSerializer.Deserialize<JsonElement>(Format(matrix.Table(o => o.Case.Holder == PortHolder.TimeWait), MimeTypes.Cases)!);

        Assert.Equal(matrix.Outcomes.Count, cases.GetArrayLength());
        Assert.Equal(4, tableCases.GetArrayLength());
        Assert.All(tableCases.EnumerateArray(), c => Assert.Equal("time_wait", c.GetProperty("holder").GetString()));
        Assert.Contains("EADDRINUSE", Format(matrix.Table(_ => true), MimeTypes.Html));
        Assert.Contains("bind refused", Format(matrix, MimeTypes.Html));
    }

    [Fact]
    public void Matrix_Chart_OnePanelPerHolderWithRowsFirstOptionsAndColumnsSecond()
    {
        var figure = Sample().Chart(holders: new[] { PortHolder.Listener, PortHolder.TimeWait });
        var heatmaps = figure.Data.Where(t => t["type"]!.GetValue<string>() == "heatmap").ToList();

        Assert.Equal(2, heatmaps.Count);
        Assert.Equal("x2", heatmaps[1]["xaxis"]!.GetValue<string>());
        Assert.Equal(new[] { "none", "REUSEADDR" }, heatmaps[1]["y"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal(new[] { "none", "REUSEADDR" }, heatmaps[1]["x"]!.AsArray().Select(v => v!.GetValue<string>()));
        // TIME_WAIT: only the both-set cell is green (2); the others are red (0).
        Assert.Equal(2, heatmaps[1]["z"]![1]![1]!.GetValue<int>());
        Assert.Equal(0, heatmaps[1]["z"]![0]![1]!.GetValue<int>());
    }

    [Fact]
    public void Matrix_GetSkippedCase_ErrorNamesTheReason()
    {
        var matrix = Sample();
        var skippedCase = new PortSharingCase(BindApi.Native, ProtocolPair.TcpTcp, PortHolder.Listener, AddressPair.TwoSpecific, SocketOptionSet.None, SocketOptionSet.None);
        matrix = new PortSharingMatrix(matrix.Plan, matrix.Outcomes, new[] { new PortSharingSkip(skippedCase, "127.0.0.2 is missing") }, matrix.Notes, matrix.Elapsed);

        var e = Assert.Throws<KeyNotFoundException>(() => matrix.Get(PortHolder.Listener, SocketOptionSet.None, SocketOptionSet.None, addresses: AddressPair.TwoSpecific));

        Assert.Contains("127.0.0.2 is missing", e.Message);
    }

    [Fact]
    public void ShareChart_SharedCases_OneStackedBarPerProbedAddressSplitFirstAndSecond()
    {
        var shared = Outcome(PortHolder.Listener, SocketOptionSet.ReusePort, SocketOptionSet.ReusePort, StepResult.Success("bind"), StepResult.Success("listen"))
            with { ShareKind = "accept", Shares = new[] { new ShareCount("127.0.0.1", 8, 5, 3), new ShareCount("127.0.0.2", 8, 8, 0) } };
        var sample = Sample();
        var matrix = new PortSharingMatrix(sample.Plan, sample.Outcomes.Append(shared).ToList(), sample.Skipped, sample.Notes, sample.Elapsed);

        var figure = matrix.ShareChart(_ => true, "share");

        Assert.Equal(2, figure.Data.Count);
        Assert.Equal("stack", figure.Layout["barmode"]!.GetValue<string>());
        Assert.Equal(new[] { 5.0, 8.0 }, figure.Data[0]["x"]!.AsArray().Select(v => v!.GetValue<double>()));
        Assert.Equal(new[] { 3.0, 0.0 }, figure.Data[1]["x"]!.AsArray().Select(v => v!.GetValue<double>()));
    }

    [Fact]
    public void ShareChart_NothingShared_ClearError()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Sample().ShareChart(_ => true, "share"));

        Assert.Contains("no traffic to split", e.Message);
    }

    internal static PortSharingMatrix Sample()
    {
        var refused = new StepResult("bind", AddressInUse);
        var ok = new[] { StepResult.Success("bind"), StepResult.Success("listen") };
        var outcomes = new List<PortSharingOutcome>();
        foreach (var first in new[] { SocketOptionSet.None, SocketOptionSet.ReuseAddress })
        {
            foreach (var second in new[] { SocketOptionSet.None, SocketOptionSet.ReuseAddress })
            {
                outcomes.Add(Outcome(PortHolder.Listener, first, second, refused));
                var both = first == SocketOptionSet.ReuseAddress && second == SocketOptionSet.ReuseAddress;
                outcomes.Add(Outcome(PortHolder.TimeWait, first, second, both ? ok : new[] { refused }));
            }
        }
        return new PortSharingMatrix(PortSharingPlan.Full(OsFamily.Linux), outcomes, Array.Empty<PortSharingSkip>(), Array.Empty<string>(), TimeSpan.FromSeconds(1));
    }
}
