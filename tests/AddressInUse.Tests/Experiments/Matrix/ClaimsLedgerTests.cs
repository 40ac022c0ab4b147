using System.Text.RegularExpressions;
using AddressInUse.Charts;
using AddressInUse.Child;
using AddressInUse.Native;
using AddressInUse.Experiments.Matrix;

namespace AddressInUse.Tests.Experiments.Matrix;

public sealed class ClaimsLedgerTests
{
    [Fact]
    public void Claims_IdsUniqueAndEachNamesItsSeedArticleFile()
    {
        var claims = ClaimsLedger.Claims;

        Assert.Equal(claims.Count, claims.Select(c => c.Id).Distinct().Count());
        Assert.All(claims, c => Assert.Matches(new Regex(@"^\d{3}_[0-9a-f]{16}\.txt$"), c.Article));
        Assert.All(claims, c => Assert.StartsWith(c.Article[..3] + "-", c.Id));
        Assert.All(claims, c => Assert.Matches(new Regex(@"^[A-H]\d$"), c.Scenario));
    }

    [Fact]
    public void Judge_SampleMatrix_TimeWaitClaimComputedFromTheCells()
    {
        // Sample: beside TIME_WAIT only SO_REUSEADDR on both binds.
        var ledger = ClaimsLedger.Judge(PortSharingOutcomeTests.Sample());

        var verdict = ledger.Verdicts.Single(v => v.Claim.Id == "002-reuseaddr-binds-over-time-wait" && v.Api == BindApi.Native);

        Assert.Equal(Verdict.HoldsOnlyWhen, verdict.Judgement.Verdict);
        Assert.Contains("must have set it too", verdict.Judgement.Finding);
        Assert.Equal(4, verdict.Judgement.Evidence.Count);
    }

    [Fact]
    public void Judge_NoMulticastRuns_MulticastClaimNotMeasuredAndSaysWhatToPass()
    {
        var ledger = ClaimsLedger.Judge(PortSharingOutcomeTests.Sample());

        var verdict = ledger.Verdicts.Single(v => v.Claim.Id == "003-multicast-receivers-share-port" && v.Api == BindApi.Native);

        Assert.Equal(Verdict.NotMeasured, verdict.Judgement.Verdict);
        Assert.Contains("UdpReceivers.BothPathsAsync", verdict.Judgement.Finding);
    }

    [Fact]
    public void Judge_CellsMissingFromTheMatrix_NotMeasuredNeverGuessed()
    {
        var ledger = ClaimsLedger.Judge(PortSharingOutcomeTests.Sample());

        var bound = ledger.Verdicts.Single(v => v.Claim.Id == "003-second-tcp-bind-fails" && v.Api == BindApi.Native);
        var fiveTuple = ledger.Verdicts.Single(v => v.Claim.Id == "003-five-tuple-stays-unique" && v.Api == BindApi.Native);

        Assert.Equal(Verdict.NotMeasured, bound.Judgement.Verdict);
        Assert.Equal(Verdict.NotMeasured, fiveTuple.Judgement.Verdict);
        Assert.Contains("FiveTuple.MeasureAsync", fiveTuple.Judgement.Finding);
    }

    [Fact]
    public void ToCase_Verdict_RecordedWithArticleClaimAndFinding()
    {
        var ledger = ClaimsLedger.Judge(PortSharingOutcomeTests.Sample());
        var verdict = ledger.Verdicts.Single(v => v.Claim.Id == "002-reuseaddr-binds-over-time-wait" && v.Api == BindApi.Native);

        var record = verdict.ToCase();

        Assert.Equal("D1", record.Scenario);
        Assert.Equal("claim-002-reuseaddr-binds-over-time-wait", record.Case);
        Assert.Equal("verdict", record.Step);
        Assert.Equal("holds_only_when", record.Outcome);
        Assert.Equal("002_f23a036a6a455147.txt", record.Details!["article"]!.GetValue<string>());
        Assert.Equal("claim", record.Details["kind"]!.GetValue<string>());
        Assert.Equal(2 * ClaimsLedger.Claims.Count, ledger.Cases.Count());
    }

    // A4 cells: beside an ESTABLISHED connection the restart binds only with SO_REUSEADDR on the old and the new server.
    private static PortSharingMatrix ChildHoldsTheConnection()
    {
        var refused = new StepResult("bind", Errno.From(98, OsFamily.Linux));
        var ok = new[] { StepResult.Success("bind"), StepResult.Success("listen") };
        var outcomes = new[] { (SocketOptionSet.None, SocketOptionSet.None), (SocketOptionSet.None, SocketOptionSet.ReuseAddress), (SocketOptionSet.ReuseAddress, SocketOptionSet.ReuseAddress) }
            .Select(p => PortSharingOutcomeTests.Outcome(PortHolder.Established, p.Item1, p.Item2, p.Item1 == SocketOptionSet.ReuseAddress ? ok : new[] { refused }))
            .ToList();
        return new PortSharingMatrix(PortSharingPlan.Full(OsFamily.Linux), outcomes, Array.Empty<PortSharingSkip>(), Array.Empty<string>(), TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Judge_RestartBesideChildRefusedWhenOnlyTheNewServerSetsReuseAddr_HoldsOnlyWhen()
    {
        var verdict = ClaimsLedger.Judge(ChildHoldsTheConnection()).Verdicts.Single(v => v.Claim.Id == "000-listener-restart-beside-child" && v.Api == BindApi.Native);

        Assert.Equal(Verdict.HoldsOnlyWhen, verdict.Judgement.Verdict);
        Assert.Contains("new server only: bind EADDRINUSE", verdict.Judgement.Finding);
        Assert.Contains("old server", verdict.Judgement.Finding);
    }

    [Fact]
    public void Kind_DoesNotHold_RedOnlyWhereTheArticleIsWrong()
    {
        var ledger = ClaimsLedger.Judge(ChildHoldsTheConnection());
        var claim = ClaimsLedger.Claims.Single(c => c.Id == "001-fin-wait-2-blocks-restart");
        var hedged = ClaimsLedger.Claims.Single(c => c.Id == "002-specific-bind-hijacks-wildcard");
        var wrong = new ClaimJudgement(Verdict.DoesNotHold, "f", []);

        Assert.Equal(MatrixCellKind.Failed, ClaimsLedger.Kind(new ClaimVerdict(claim, BindApi.Native, wrong)));
        Assert.Equal("article_wrong", new ClaimVerdict(claim, BindApi.Native, wrong).ToCase().Details!["does_not_hold_means"]!.GetValue<string>());
        Assert.Equal(MatrixCellKind.Differs, ClaimsLedger.Kind(new ClaimVerdict(claim, BindApi.Dotnet, wrong)));
        Assert.Equal(MatrixCellKind.Differs, ClaimsLedger.Kind(new ClaimVerdict(hedged, BindApi.Native, wrong)));
        Assert.Equal(MatrixCellKind.NotMeasured, ClaimsLedger.Kind(new ClaimVerdict(claim, BindApi.Native, new ClaimJudgement(Verdict.NotMeasured, "f", []))));
        Assert.Null(new ClaimVerdict(claim, BindApi.Native, new ClaimJudgement(Verdict.Holds, "f", [])).Meaning);
        // Every verdict gets a cell; "not measured" is grey and named in the legend, not a blank.
        var figure = ledger.Chart();
        Assert.DoesNotContain(figure.Data.Single(t => t["type"]!.GetValue<string>() == "heatmap")["z"]!.AsArray().SelectMany(r => r!.AsArray()), z => z is null);
        Assert.Contains(figure.Data, t => t["name"]?.GetValue<string>() == "not measured here");
        Assert.Contains(figure.Data, t => t["name"]?.GetValue<string>()?.StartsWith("differs", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void Chart_OneRowPerClaimOneColumnPerPath()
    {
        var figure = ClaimsLedger.Judge(PortSharingOutcomeTests.Sample()).Chart();
        var heatmap = figure.Data.Single(t => t["type"]!.GetValue<string>() == "heatmap");

        Assert.Equal(ClaimsLedger.Claims.Count, heatmap["y"]!.AsArray().Count);
        Assert.Equal(2, heatmap["x"]!.AsArray().Count);
        // Rows read as the claims themselves, not their slugs.
        var first = heatmap["y"]![0]!.GetValue<string>().Replace("<br>", " ");
        Assert.Equal("003: " + ClaimsLedger.Claims[0].Statement, first);
    }

    [Fact]
    public void Kind_HoldsOnlyWhen_HasAColourNoOutcomeGridUsesForAnythingElse()
    {
        var claim = ClaimsLedger.Claims[0];

        var kind = ClaimsLedger.Kind(new ClaimVerdict(claim, BindApi.Native, new ClaimJudgement(Verdict.HoldsOnlyWhen, "f", [])));

        // Orange means "bind ok, listen refused" in chapter 05's grids; one colour, one meaning.
        Assert.NotEqual(MatrixChart.Colors[MatrixCellKind.LaterStepFailed], MatrixChart.Colors[kind]);
        Assert.Equal(MatrixChart.Colors.Count, MatrixChart.Colors.Values.Distinct().Count());
    }
}

[Collection(SpecificPortCollection.Name)]
public sealed class ClaimsLedgerLinuxTests
{
    [LinuxFact]
    public async Task Judge_FullLinuxMatrix_VerdictsTheCourseTeaches()
    {
        var matrix = await PortSharing.MeasureAsync(PortSharingPlan.Full());
        var multicast = await UdpReceivers.BothPathsAsync(multicast: true, sockets: 3);
        var ledger = ClaimsLedger.Judge(matrix, multicast, await FiveTuple.MeasureAsync(), await FiveTuple.MeasureAsync(BindApi.Dotnet));
        Verdict Native(string id) => ledger.Verdicts.Single(v => v.Claim.Id == id && v.Api == BindApi.Native).Judgement.Verdict;
        Verdict Dotnet(string id) => ledger.Verdicts.Single(v => v.Claim.Id == id && v.Api == BindApi.Dotnet).Judgement.Verdict;

        Assert.Equal(Verdict.Holds, Native("003-second-tcp-bind-fails"));
        Assert.Equal(Verdict.DoesNotHold, Dotnet("003-second-tcp-bind-fails"));
        Assert.Equal(Verdict.DoesNotHold, Native("004-different-addresses-need-reuseaddr"));
        Assert.Equal(Verdict.Holds, Native("003-udp-only-last-receives"));
        Assert.Equal(Verdict.HoldsOnlyWhen, Native("002-reuseaddr-binds-over-time-wait"));
        // A4: the restarted server's own SO_REUSEADDR is not enough beside the child's connection when the old server had none.
        Assert.Equal(Verdict.HoldsOnlyWhen, Native("000-listener-restart-beside-child"));
        Assert.Equal(Verdict.DoesNotHold, Native("003-reuseaddr-only-for-time-wait"));
        Assert.Equal(Verdict.Holds, Native("003-five-tuple-stays-unique"));
        Assert.Equal(Verdict.Holds, Dotnet("003-five-tuple-stays-unique"));
        // Two bound TCP sockets share a port with SO_REUSEADDR on both: a duplicate binding is not only for multicast on Linux.
        Assert.Equal(Verdict.DoesNotHold, Native("003-duplicate-binding-only-multicast"));
        Assert.Equal(UdpReceivers.MulticastUnavailable is null ? Verdict.Holds : Verdict.NotMeasured, Native("003-multicast-receivers-share-port"));
        var caseNames = matrix.Cases.Select(c => c.Case).Concat(multicast.Cases.Select(c => c.Case)).ToHashSet();
        Assert.All(ledger.Verdicts.Where(v => v.Claim.Scenario != "D7"), v => Assert.All(v.Judgement.Evidence, name => Assert.Contains(name, caseNames)));
    }

    [LinuxFact]
    public void DotnetReuseOptions_Linux_ReuseAddressIsTwoOptionsAndExclusiveClearsBoth()
    {
        var readback = DotnetReuseOptions.Measure();

        Assert.Equal(1, readback.Value("tcp", "reuseaddress", "SO_REUSEADDR"));
        Assert.Equal(1, readback.Value("tcp", "reuseaddress", "SO_REUSEPORT"));
        Assert.Equal(1, readback.Value("udp", "reuseaddress", "SO_REUSEPORT"));
        Assert.Equal(0, readback.Value("tcp", "reuseaddress-then-exclusive", "SO_REUSEADDR"));
        Assert.Equal(0, readback.Value("tcp", "reuseaddress-then-exclusive", "SO_REUSEPORT"));
        Assert.Equal(1, readback.Value("tcp", "exclusive-then-bind", "SO_REUSEADDR"));
        Assert.Equal(1, readback.Value("tcp", "plain-bind", "SO_REUSEADDR"));
        Assert.Equal(0, readback.Value("udp", "plain-bind", "SO_REUSEADDR"));
        Assert.All(readback.Rows, r => Assert.True(r.Result.Ok, r.ToString()));
    }
}
