using System.Text;
using System.Text.Json.Nodes;
using AddressInUse.Charts;
using AddressInUse.Child;
using AddressInUse.Native;
using AddressInUse.Display;
using AddressInUse.Cases;

namespace AddressInUse.Experiments.Matrix;

/// <summary>What the measurements say about a claim.</summary>
public enum Verdict
{
    /// <summary>The measured cases agree with the claim.</summary>
    Holds,
    /// <summary>The measured cases agree only under a condition the claim does not state.</summary>
    HoldsOnlyWhen,
    /// <summary>The measured cases contradict the claim.</summary>
    DoesNotHold,
    /// <summary>The cases that would decide it were not measured here (skipped, or not offered on this path).</summary>
    NotMeasured,
}

/// <summary>A verdict with the finding that explains it and the cases it rests on.</summary>
/// <param name="Verdict">The verdict.</param>
/// <param name="Finding">What the measurements showed, in one or two sentences, computed from the cases.</param>
/// <param name="Evidence">The names of the cases the verdict rests on.</param>
public sealed record ClaimJudgement(Verdict Verdict, string Finding, IReadOnlyList<string> Evidence);

/// <summary>One outcome a seed article asserts, in the course's words, with the check that measures it.</summary>
/// <param name="Id">A short stable id, e.g. "003-both-need-reuseaddr".</param>
/// <param name="Article">The seed article's file name.</param>
/// <param name="Statement">What the article claims, in the course's own words.</param>
/// <param name="Scenario">The scenario whose cases check it.</param>
/// <param name="CheckedBy">Which measured cases decide it, in words.</param>
/// <param name="Protocol">"tcp", "udp" or "tcp/udp", for the results record.</param>
/// <param name="Holder">The holder of the deciding cases, for the results record.</param>
/// <param name="Judge">Computes the verdict from the measurements of one bind path.</param>
/// <param name="OnSomeSystems">The article itself says the outcome happens only on some systems, so not holding on this OS does not make it wrong.</param>
public sealed record Claim(
    string Id,
    string Article,
    string Statement,
    string Scenario,
    string CheckedBy,
    string Protocol,
    string Holder,
    Func<ClaimEvidence, ClaimJudgement> Judge,
    bool OnSomeSystems = false);

/// <summary>The verdict on one claim for one bind path.</summary>
/// <param name="Claim">The claim.</param>
/// <param name="Api">The bind path whose cases were used.</param>
/// <param name="Judgement">The verdict, its finding and its evidence.</param>
public sealed record ClaimVerdict(Claim Claim, BindApi Api, ClaimJudgement Judgement)
{
    /// <summary>
    /// Whether a "does not hold" means the article is wrong: only on the OS's own bind(), the setting the articles describe,
    /// and only for a claim the article did not limit to "some systems". On the .NET path, or for a hedged claim, it is a
    /// difference from the article's setting, which the finding describes (it can still matter: read it).
    /// </summary>
    public bool ArticleWrong => Judgement.Verdict == Verdict.DoesNotHold && Api == BindApi.Native && !Claim.OnSomeSystems;

    /// <summary>What a "does not hold" means here: "article_wrong", "differs", or null for any other verdict.</summary>
    public string? Meaning => Judgement.Verdict != Verdict.DoesNotHold ? null : ArticleWrong ? "article_wrong" : "differs";

    /// <summary>The results.json record: scenario and holder of the claim, step "verdict", outcome the verdict's name.</summary>
    public CaseRecord ToCase() => new(
        Claim.Scenario,
        $"claim-{Claim.Id}",
        Api == BindApi.Native ? "native" : "dotnet",
        Claim.Protocol,
        Claim.Holder,
        new SocketSide("127.0.0.1", Claim.Protocol.Split('/')[0], Array.Empty<string>()),
        new SocketSide("127.0.0.1", Claim.Protocol.Split('/')[^1], Array.Empty<string>()),
        "verdict",
        ClaimsLedger.VerdictName(Judgement.Verdict),
        null)
    {
        Details = new JsonObject
        {
            ["kind"] = "claim",
            ["article"] = Claim.Article,
            ["claim"] = Claim.Statement,
            ["checked_by"] = Claim.CheckedBy,
            ["finding"] = Judgement.Finding,
            ["does_not_hold_means"] = Meaning,
            ["evidence"] = new JsonArray(Judgement.Evidence.Select(e => (JsonNode?)JsonValue.Create(e)).ToArray()),
        },
    };
}

/// <summary>The measured cases of one bind path, looked up the way the claims need them, remembering which were used.</summary>
public sealed class ClaimEvidence
{
    private readonly List<string> _used = new();

    /// <summary>Wraps the matrix (and optionally the D7 outcome and the D6 multicast runs) for one bind path.</summary>
    public ClaimEvidence(PortSharingMatrix matrix, BindApi api, FiveTupleOutcome? fiveTuple = null, IReadOnlyList<ReceiverGroupOutcome>? multicast = null)
    {
        Matrix = matrix ?? throw new ArgumentNullException(nameof(matrix));
        Api = api;
        FiveTuple = fiveTuple;
        Multicast = multicast?.Where(m => m.Api == api && m.Kind == "multicast").ToList() ?? new List<ReceiverGroupOutcome>();
    }

    /// <summary>The D6 multicast runs of this path, where the ledger was given any.</summary>
    public IReadOnlyList<ReceiverGroupOutcome> Multicast { get; }

    /// <summary>The multicast run with the given options on this path, or null.</summary>
    public ReceiverGroupOutcome? MulticastRun(SocketOptionSet options) => Multicast.FirstOrDefault(m => m.Options == options);

    /// <summary>The full matrix the claims are judged on.</summary>
    public PortSharingMatrix Matrix { get; }

    /// <summary>The bind path being judged.</summary>
    public BindApi Api { get; }

    /// <summary>The D7 measurement, where the ledger was given one.</summary>
    public FiveTupleOutcome? FiveTuple { get; }

    /// <summary>The names of the cases looked up so far.</summary>
    public IReadOnlyList<string> Used => _used;

    /// <summary>The outcome of one cell on this path, or null where it was not measured (skipped, or an option this path does not offer).</summary>
    public PortSharingOutcome? Get(PortHolder holder, SocketOptionSet first, SocketOptionSet second, AddressPair addresses = AddressPair.Same, ProtocolPair? protocols = null)
    {
        var outcome = Matrix.Find(holder, first, second, Api, addresses, protocols);
        if (outcome is not null)
        {
            _used.Add(outcome.Case.Name);
        }
        return outcome;
    }

    /// <summary>Whether the second socket got through (null where not measured).</summary>
    public bool? Ok(PortHolder holder, SocketOptionSet first, SocketOptionSet second, AddressPair addresses = AddressPair.Same, ProtocolPair? protocols = null) =>
        Get(holder, first, second, addresses, protocols)?.Ok;

    /// <summary>
    /// Judges a claim that one cell decides: it holds when the second socket got through (<paramref name="holdsWhenOk"/>)
    /// or was refused (otherwise), and is not measured, saying <paramref name="missing"/>, where the cell was not.
    /// </summary>
    public ClaimJudgement JudgeOne(PortSharingOutcome? outcome, bool holdsWhenOk, string missing, Func<PortSharingOutcome, string> finding) =>
        outcome is null ? NotMeasured(missing) : Judge(outcome.Ok == holdsWhenOk ? Verdict.Holds : Verdict.DoesNotHold, finding(outcome));

    /// <summary>A judgement carrying the cases used so far.</summary>
    public ClaimJudgement Judge(Verdict verdict, string finding) => new(verdict, finding, _used.Distinct().ToList());

    /// <summary>"Not measured", with the skip reason where the matrix gives one.</summary>
    public ClaimJudgement NotMeasured(string why) =>
        new(Verdict.NotMeasured, Matrix.Skipped.Count > 0 && why.Contains("127.0.0.2", StringComparison.Ordinal) ? Matrix.Skipped[0].Reason : why, _used.Distinct().ToList());
}

/// <summary>
/// The claims ledger: every outcome the seed articles assert, the measured cases that check it, and a verdict per bind
/// path computed from those cases (never typed in), so that each OS's run fills its own column.
/// </summary>
public sealed record ClaimsLedger : MeasuredResult
{
    private const SocketOptionSet None = SocketOptionSet.None;
    private const SocketOptionSet ReuseAddr = SocketOptionSet.ReuseAddress;
    private const SocketOptionSet ReusePort = SocketOptionSet.ReusePort;

    private ClaimsLedger(string os, IReadOnlyList<ClaimVerdict> verdicts)
    {
        Os = os;
        Verdicts = verdicts;
    }

    /// <summary>"linux", "macos", "windows", or "wine" (whose verdicts are all "not measured").</summary>
    public string Os { get; }

    /// <summary>One verdict per claim and bind path, in claim order, native first.</summary>
    public IReadOnlyList<ClaimVerdict> Verdicts { get; }

    /// <summary>Every verdict as a results.json record.</summary>
    public override IEnumerable<CaseRecord> Cases => Verdicts.Select(v => v.ToCase());

    /// <summary>Judges every claim on both bind paths from a full D1 matrix (and, for the five-tuple claim, D7 runs of either path).</summary>
    public static ClaimsLedger Judge(PortSharingMatrix matrix, params FiveTupleOutcome[] fiveTuples) => Judge(matrix, null, fiveTuples);

    /// <summary>Judges every claim on both bind paths from a full D1 matrix, D6 multicast runs (of either path) and D7 runs.</summary>
    public static ClaimsLedger Judge(PortSharingMatrix matrix, ReceiverGroups? multicast, params FiveTupleOutcome[] fiveTuples)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        return JudgeOn(matrix.Os, matrix, multicast, fiveTuples);
    }

    /// <summary>What every claim gets under Wine: Wine maps Winsock onto the host's sockets, so nothing it measures is a verdict on Windows.</summary>
    public const string EmulationFinding = "Measured under Wine, an emulation of Windows on another OS: no verdict on Windows; the real Windows run decides.";

    /// <summary>Judges on the named OS's results; under Wine ("wine") every claim is not measured, with <see cref="EmulationFinding"/>.</summary>
    internal static ClaimsLedger JudgeOn(string os, PortSharingMatrix matrix, ReceiverGroups? multicast, FiveTupleOutcome[] fiveTuples)
    {
        var verdicts = new List<ClaimVerdict>();
        foreach (var claim in Claims)
        {
            foreach (var api in new[] { BindApi.Native, BindApi.Dotnet })
            {
                var evidence = new ClaimEvidence(matrix, api, fiveTuples.FirstOrDefault(f => f.Api == api), multicast?.Outcomes);
                var judgement = os == WineHost.FolderName ? new ClaimJudgement(Verdict.NotMeasured, EmulationFinding, []) : claim.Judge(evidence);
                verdicts.Add(new ClaimVerdict(claim, api, judgement));
            }
        }
        return new ClaimsLedger(os, verdicts);
    }

    /// <summary>The verdict's name in results.json: "holds", "holds_only_when", "does_not_hold", "not_measured".</summary>
    public static string VerdictName(Verdict verdict) => verdict switch
    {
        Verdict.Holds => "holds",
        Verdict.HoldsOnlyWhen => "holds_only_when",
        Verdict.DoesNotHold => "does_not_hold",
        _ => "not_measured",
    };

    /// <summary>What a reader sees for a verdict.</summary>
    public static string VerdictLabel(Verdict verdict) => verdict switch
    {
        Verdict.Holds => "holds",
        Verdict.HoldsOnlyWhen => "holds only when…",
        Verdict.DoesNotHold => "does not hold",
        _ => "not measured",
    };

    /// <summary>The verdicts as a grid: one row per claim, one column per bind path, coloured by verdict, the finding on hover.</summary>
    public Figure Chart(string name = "claims-ledger")
    {
        // The claim itself, in the course's words, wrapped: a reader should not need to decode a slug.
        var rows = Claims.Select(c => Wrap($"{c.Article[..3]}: {c.Statement}", 52)).ToList();
        var cells = Claims.Select(c => (IReadOnlyList<MatrixCell?>)new[] { BindApi.Native, BindApi.Dotnet }
            .Select(api => Cell(Verdicts.Single(v => v.Claim == c && v.Api == api)))
            .ToList()).ToList();
        var panel = new MatrixPanel($"{Os}", rows, new[] { "the OS's bind()", "plain .NET" }, cells);
        var legend = new Dictionary<MatrixCellKind, string>
        {
            [MatrixCellKind.Ok] = "holds",
            [MatrixCellKind.Conditional] = "holds only when…",
            [MatrixCellKind.Failed] = "does not hold: the article is wrong here",
            [MatrixCellKind.Differs] = "differs: .NET, or a claim the article limits to some systems",
            [MatrixCellKind.NotMeasured] = "not measured here",
        };
        return MatrixChart.Build(name, $"The seed articles' claims, measured on {Os}", new[] { panel }, "claim (article: statement)", "bind path", columns: 1, legend: legend);
    }

    /// <summary>The ledger as a table: article, claim, the check, and the verdict and finding per bind path.</summary>
    public override string ToHtml()
    {
        string VerdictHtml(ClaimVerdict v)
        {
            var kind = Kind(v);
            var label = kind == MatrixCellKind.Differs ? "differs (not the article's error)" : VerdictLabel(v.Judgement.Verdict);
            return $"<span style=\"display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;background:{MatrixChart.Colors[kind]}\">{Html.E(label)}</span>" +
                   $"<br><small>{Html.E(v.Judgement.Finding)}</small>";
        }
        var rows = Claims.Select(c => new[]
        {
            $"<code>{Html.E(c.Article)}</code>",
            Html.E(c.Statement),
            $"<small>{Html.E(c.Scenario)}: {Html.E(c.CheckedBy)}</small>",
            VerdictHtml(Verdicts.Single(v => v.Claim == c && v.Api == BindApi.Native)),
            VerdictHtml(Verdicts.Single(v => v.Claim == c && v.Api == BindApi.Dotnet)),
        });
        return $"<div class=\"course-outcome\"><p><b>Claims ledger — {Html.E(Os)}</b>: every verdict is computed from the cases measured on this machine.</p>" +
               Html.Table(new[] { "article", "claim (in the course's words)", "checked by", "the OS's bind()", "plain .NET" }, rows) + "</div>";
    }

    /// <summary>One claim a line, with both verdicts.</summary>
    public override string ToString() => string.Join(Environment.NewLine, Claims.Select(c =>
        $"{c.Id}: native {VerdictName(Verdicts.Single(v => v.Claim == c && v.Api == BindApi.Native).Judgement.Verdict)}, " +
        $"dotnet {VerdictName(Verdicts.Single(v => v.Claim == c && v.Api == BindApi.Dotnet).Judgement.Verdict)}"));

    private static MatrixCell? Cell(ClaimVerdict v)
    {
        var hover = $"<b>{Html.E(v.Claim.Id)}</b> ({Html.E(v.Claim.Article)})<br>{Html.E(v.Judgement.Finding)}";
        var kind = Kind(v);
        return new MatrixCell(kind, kind switch
        {
            MatrixCellKind.Ok => "holds",
            MatrixCellKind.Conditional => "only when…",
            MatrixCellKind.Failed => "does not hold",
            MatrixCellKind.Differs => "differs",
            _ => "not measured",
        }, hover);
    }

    /// <summary>The colour class of a verdict: a "does not hold" is red only where the article is wrong (<see cref="ClaimVerdict.ArticleWrong"/>).</summary>
    public static MatrixCellKind Kind(ClaimVerdict v) => v.Judgement.Verdict switch
    {
        Verdict.Holds => MatrixCellKind.Ok,
        Verdict.HoldsOnlyWhen => MatrixCellKind.Conditional,
        Verdict.DoesNotHold => v.ArticleWrong ? MatrixCellKind.Failed : MatrixCellKind.Differs,
        _ => MatrixCellKind.NotMeasured,
    };

    /// <summary>Breaks text into lines of at most about <paramref name="width"/> characters at spaces, joined by &lt;br&gt; (plotly's line break); the text is HTML-encoded.</summary>
    internal static string Wrap(string text, int width)
    {
        var lines = new List<string>();
        var line = new StringBuilder();
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width)
            {
                lines.Add(line.ToString());
                line.Clear();
            }
            line.Append(line.Length > 0 ? " " : "").Append(word);
        }
        lines.Add(line.ToString());
        return string.Join("<br>", lines.Select(Html.E));
    }

    private static string Pair(SocketOptionSet first, SocketOptionSet second, BindApi api) =>
        $"{MatrixLabel(first, api)} → {MatrixLabel(second, api)}";

    private static string MatrixLabel(SocketOptionSet options, BindApi api) => PortSharingMatrix.AxisLabel(options, api);

    private static string Refusal(PortSharingOutcome o) => o.Ok ? "ok" : $"{o.Decisive.Step} {o.Decisive.Error}";

    /// <summary>
    /// Of the four pairs of "none" and the given option, which let the second socket in: the pattern behind every
    /// "only if both set it" claim. Null when a cell was not measured.
    /// </summary>
    private static IReadOnlyList<(SocketOptionSet First, SocketOptionSet Second)>? OkPairs(ClaimEvidence e, PortHolder holder, SocketOptionSet option, AddressPair addresses = AddressPair.Same, ProtocolPair? protocols = null)
    {
        var pairs = new[] { (None, None), (None, option), (option, None), (option, option) };
        var ok = new List<(SocketOptionSet, SocketOptionSet)>();
        foreach (var (first, second) in pairs)
        {
            var result = e.Ok(holder, first, second, addresses, protocols);
            if (result is null)
            {
                return null;
            }
            if (result.Value)
            {
                ok.Add((first, second));
            }
        }
        return ok;
    }

    private static string Describe(IReadOnlyList<(SocketOptionSet First, SocketOptionSet Second)> ok, BindApi api) =>
        ok.Count == 0 ? "no pair binds" : ok.Count == 4 ? "every pair binds, even with no option" : "only " + string.Join(", ", ok.Select(p => Pair(p.First, p.Second, api))) + " binds";

    /// <summary>"Both must set it": holds when exactly the both-set pair gets through.</summary>
    private static ClaimJudgement BothNeeded(ClaimEvidence e, PortHolder holder, string what)
    {
        var ok = OkPairs(e, holder, ReuseAddr);
        if (ok is null)
        {
            return e.NotMeasured($"the {holder.ToLabel()} cases were not measured");
        }
        var finding = $"{what}: {Describe(ok, e.Api)}.";
        if (ok.Count == 1 && ok[0] == (ReuseAddr, ReuseAddr))
        {
            if (e.Api == BindApi.Native && e.Ok(holder, ReusePort, ReusePort) == true)
            {
                return e.Judge(Verdict.HoldsOnlyWhen, finding + " SO_REUSEPORT on both binds too, so the rule is complete only among the options the article names.");
            }
            return e.Judge(Verdict.Holds, finding);
        }
        return e.Judge(Verdict.DoesNotHold, finding);
    }

    /// <summary>Every claim of the seed articles the matrix and D7 measure, in the course's own words.</summary>
    public static IReadOnlyList<Claim> Claims { get; } = new[]
    {
        new Claim("003-second-tcp-bind-fails", "003_c77eff613f25d968.txt",
            "A second TCP socket cannot bind a port that another TCP socket has already bound.",
            "D2", "a bound, idle socket holds the port; neither socket sets an option", "tcp", "bound",
            e => e.JudgeOne(e.Get(PortHolder.Bound, None, None), holdsWhenOk: false, "the bound-socket case was not measured",
                o => $"the second bind: {Refusal(o)}.")),

        new Claim("003-both-need-reuseaddr", "003_c77eff613f25d968.txt",
            "Two TCP sockets can bind the same port only if both set SO_REUSEADDR before binding.",
            "D2", "a bound, idle socket holds the port; none/SO_REUSEADDR on each side", "tcp", "bound",
            e => BothNeeded(e, PortHolder.Bound, "beside a bound socket")),

        new Claim("003-listener-refuses-even-with-reuseaddr", "003_c77eff613f25d968.txt",
            "Once the first socket listens and has accepted connections, a second bind fails even when both set SO_REUSEADDR.",
            "D2", "a listener with an accepted client holds the port; SO_REUSEADDR on both", "tcp", "listen_accepted",
            e => e.JudgeOne(e.Get(PortHolder.ListenerWithClient, ReuseAddr, ReuseAddr), holdsWhenOk: false, "the listener case was not measured",
                o => $"{Pair(ReuseAddr, ReuseAddr, e.Api)} beside a listener with a client: {Refusal(o)}.")),

        new Claim("003-connected-blocks-listener", "003_c77eff613f25d968.txt",
            "A socket that bound a port and connected out blocks a later listener on that port unless both set SO_REUSEADDR.",
            "D2", "a bound-then-connected socket holds the port; none/SO_REUSEADDR on each side", "tcp", "connected",
            e => BothNeeded(e, PortHolder.Connected, "beside a connected socket")),

        new Claim("003-tcp-and-udp-share", "003_c77eff613f25d968.txt",
            "A UDP socket can bind a port that a TCP socket holds.",
            "D5", "a bound TCP socket and a TCP listener hold the port; a UDP socket binds it, no options", "tcp/udp", "listen",
            e =>
            {
                var bound = e.Get(PortHolder.Bound, None, None, protocols: ProtocolPair.TcpUdp);
                var listener = e.Get(PortHolder.Listener, None, None, protocols: ProtocolPair.TcpUdp);
                if (bound is null || listener is null)
                {
                    return e.NotMeasured("the TCP/UDP cases were not measured");
                }
                return e.Judge(bound.Ok && listener.Ok ? Verdict.Holds : Verdict.DoesNotHold,
                    $"UDP bind beside a bound TCP socket: {Refusal(bound)}; beside a TCP listener: {Refusal(listener)}.");
            }),

        new Claim("003-second-udp-bind-fails", "003_c77eff613f25d968.txt",
            "Without options, a second UDP socket cannot bind a port that a UDP socket holds.",
            "D5", "a UDP socket holds the port; a second UDP socket binds it, no options", "udp", "udp",
            e => e.JudgeOne(e.Get(PortHolder.Udp, None, None), holdsWhenOk: false, "the UDP case was not measured",
                o => $"the second UDP bind: {Refusal(o)}.")),

        new Claim("003-udp-only-last-receives", "003_c77eff613f25d968.txt",
            "Several UDP sockets can bind one port with SO_REUSEADDR, but only the one bound last receives the data.",
            "D5", "two UDP sockets with SO_REUSEADDR on one port; unicast datagrams from fresh senders, counted per socket", "udp", "udp",
            e =>
            {
                if (e.Get(PortHolder.Udp, ReuseAddr, ReuseAddr) is not { } o)
                {
                    return e.NotMeasured("the UDP case was not measured");
                }
                if (!o.Ok)
                {
                    return e.Judge(Verdict.DoesNotHold, $"the second socket could not even bind: {Refusal(o)}.");
                }
                var share = o.Shares[0];
                return share.First == 0 && share.Second == share.Sent
                    ? e.Judge(Verdict.Holds, $"both bound; of {share.Sent} datagrams the last-bound socket received {share.Second}, the first {share.First}.")
                    : e.Judge(Verdict.DoesNotHold, $"both bound; of {share.Sent} datagrams the first socket received {share.First}, the last-bound {share.Second}.");
            }),

        new Claim("001-never-two-servers-same-address", "001_29e5db423d920b4e.txt",
            "Two TCP servers can never bind the same IP address and port.",
            "D3", "a listener holds 127.0.0.1:port; a second listener on the same address with each option pair", "tcp", "listen",
            e =>
            {
                var none = e.Get(PortHolder.Listener, None, None);
                var reuse = e.Get(PortHolder.Listener, ReuseAddr, ReuseAddr);
                if (none is null || reuse is null)
                {
                    return e.NotMeasured("the listener cases were not measured");
                }
                if (none.Ok || reuse.Ok)
                {
                    return e.Judge(Verdict.DoesNotHold,
                        $"two listeners on one address and port: {Pair(None, None, e.Api)} {Refusal(none)}, {Pair(ReuseAddr, ReuseAddr, e.Api)} {Refusal(reuse)}.");
                }
                var port = e.Api == BindApi.Native ? e.Get(PortHolder.Listener, ReusePort, ReusePort) : null;
                return port is { Ok: true }
                    ? e.Judge(Verdict.HoldsOnlyWhen, $"refused with no option and with SO_REUSEADDR ({none.Decisive.Error}); with SO_REUSEPORT on both the second listener binds and they share the connections.")
                    : e.Judge(Verdict.Holds, $"refused with no option and with SO_REUSEADDR on both ({none.Decisive.Error}).");
            }),

        new Claim("001-different-addresses-share-port", "001_29e5db423d920b4e.txt",
            "Several copies of a server can share a port if each binds a different local address and sets SO_REUSEADDR.",
            "D3", "listeners on 127.0.0.1 and 127.0.0.2, one port, SO_REUSEADDR on both", "tcp", "listen",
            e => e.JudgeOne(e.Get(PortHolder.Listener, ReuseAddr, ReuseAddr, AddressPair.TwoSpecific), holdsWhenOk: true, "127.0.0.2 is not available",
                o => $"a listener on 127.0.0.2 beside one on 127.0.0.1: {Refusal(o)}.")),

        new Claim("004-different-addresses-need-reuseaddr", "004_00265943a6b42d8f.txt",
            "Services on one port but different addresses must each set SO_REUSEADDR, or the second and third bind fail.",
            "D3", "listeners on 127.0.0.1 and 127.0.0.2, one port, no option on either", "tcp", "listen",
            e => e.JudgeOne(e.Get(PortHolder.Listener, None, None, AddressPair.TwoSpecific), holdsWhenOk: false, "127.0.0.2 is not available",
                o => $"a listener on 127.0.0.2 beside one on 127.0.0.1, no option on either: {Refusal(o)}.")),

        new Claim("002-reuseaddr-binds-over-time-wait", "002_f23a036a6a455147.txt",
            "SO_REUSEADDR lets a process bind a port that is stuck in TIME_WAIT.",
            "D1", "a TIME_WAIT leftover holds the port; none/SO_REUSEADDR on the old and the new socket", "tcp", "time_wait",
            e =>
            {
                var ok = OkPairs(e, PortHolder.TimeWait, ReuseAddr);
                if (ok is null)
                {
                    return e.NotMeasured("the TIME_WAIT cases were not measured");
                }
                var finding = $"beside TIME_WAIT: {Describe(ok, e.Api)}.";
                if (!ok.Contains((ReuseAddr, ReuseAddr)))
                {
                    return e.Judge(Verdict.DoesNotHold, finding);
                }
                return ok.Contains((None, ReuseAddr))
                    ? e.Judge(Verdict.Holds, finding)
                    : e.Judge(Verdict.HoldsOnlyWhen, finding + " The socket that left the TIME_WAIT must have set it too.");
            }),

        new Claim("002-still-one-process-per-port", "002_f23a036a6a455147.txt",
            "Even with SO_REUSEADDR, only one process can be bound to the port at a time.",
            "D2", "SO_REUSEADDR on both, beside a bound socket and beside a listener", "tcp", "bound",
            e =>
            {
                var bound = e.Get(PortHolder.Bound, ReuseAddr, ReuseAddr);
                var listener = e.Get(PortHolder.Listener, ReuseAddr, ReuseAddr);
                if (bound is null || listener is null)
                {
                    return e.NotMeasured("the cases were not measured");
                }
                var finding = $"{Pair(ReuseAddr, ReuseAddr, e.Api)} beside a bound socket: {Refusal(bound)}; beside a listener: {Refusal(listener)}.";
                return (bound.Ok, listener.Ok) switch
                {
                    (false, false) => e.Judge(Verdict.Holds, finding),
                    (true, false) => e.Judge(Verdict.HoldsOnlyWhen, finding + " Two merely bound sockets share the port; a listener keeps it to itself."),
                    _ => e.Judge(Verdict.DoesNotHold, finding),
                };
            }),

        new Claim("002-specific-bind-hijacks-wildcard", "002_f23a036a6a455147.txt",
            "On some systems SO_REUSEADDR lets another socket bind a more specific address on a wildcard server's port and take its connections.",
            "D4", "a wildcard listener holds the port; a 127.0.0.1 listener tries with SO_REUSEADDR (and SO_REUSEPORT) on both", "tcp", "listen",
            e =>
            {
                if (e.Get(PortHolder.Listener, ReuseAddr, ReuseAddr, AddressPair.WildcardThenSpecific) is not { } o)
                {
                    return e.NotMeasured("the wildcard cases were not measured");
                }
                string Took(PortSharingOutcome x) => x.Shares.FirstOrDefault(s => s.Target == "127.0.0.1") is { } s ? $"; it accepted {s.Second} of {s.Sent} connections to 127.0.0.1" : "";
                if (o.Ok)
                {
                    return e.Judge(Verdict.Holds, $"with {Pair(ReuseAddr, ReuseAddr, e.Api)} the specific listener binds beside the wildcard one{Took(o)}.");
                }
                // The claim names SO_REUSEADDR: when that option is refused the claim does not hold here, whatever another option allows.
                var port = e.Api == BindApi.Native ? e.Get(PortHolder.Listener, ReusePort, ReusePort, AddressPair.WildcardThenSpecific) : null;
                return port is { Ok: true }
                    ? e.Judge(Verdict.DoesNotHold, $"SO_REUSEADDR never lets the specific listener in ({o.Decisive.Error}); SO_REUSEPORT on both, which the claim does not name, does{Took(port)}.")
                    : e.Judge(Verdict.DoesNotHold, $"the specific bind is refused: {Refusal(o)}.");
            },
            OnSomeSystems: true),

        new Claim("003-reuseaddr-only-for-time-wait", "003_c77eff613f25d968.txt",
            "SO_REUSEADDR only helps when the old connection is in TIME_WAIT; in any other state the bind still fails.",
            "D1", "SO_REUSEADDR on both beside ESTABLISHED, FIN_WAIT_2 and CLOSE_WAIT leftovers", "tcp", "established",
            e =>
            {
                var others = new[] { PortHolder.Established, PortHolder.FinWait2, PortHolder.CloseWait }
                    .Select(h => (Holder: h, Outcome: e.Get(h, ReuseAddr, ReuseAddr))).ToList();
                if (others.Any(x => x.Outcome is null))
                {
                    return e.NotMeasured("the leftover cases were not measured");
                }
                var through = others.Where(x => x.Outcome!.Ok).Select(x => x.Holder.ToLabel()).ToList();
                return through.Count == 0
                    ? e.Judge(Verdict.Holds, $"{Pair(ReuseAddr, ReuseAddr, e.Api)} is refused beside every non-TIME_WAIT leftover.")
                    : e.Judge(Verdict.DoesNotHold, $"{Pair(ReuseAddr, ReuseAddr, e.Api)} also binds beside: {string.Join(", ", through)}.");
            }),

        new Claim("003-reuseport-needs-everyone", "003_c77eff613f25d968.txt",
            "SO_REUSEPORT allows a completely duplicate binding, but only if every socket bound to the port sets it.",
            "D1", "a listener holds the port; none/SO_REUSEPORT on each side", "tcp", "listen",
            e =>
            {
                if (e.Api == BindApi.Dotnet)
                {
                    return e.NotMeasured(".NET has no SO_REUSEPORT switch of its own (on Linux, ReuseAddress sets it; see chapter 10)");
                }
                var ok = OkPairs(e, PortHolder.Listener, ReusePort);
                if (ok is null)
                {
                    return e.NotMeasured("SO_REUSEPORT does not exist on this OS");
                }
                var finding = $"two listeners: {Describe(ok, e.Api)}.";
                return ok.Count == 1 && ok[0] == (ReusePort, ReusePort) ? e.Judge(Verdict.Holds, finding) : e.Judge(Verdict.DoesNotHold, finding);
            }),

        new Claim("000-listener-restart-beside-child", "000_593640a218797242.txt",
            "A listening server restarted while a child it forked still serves a client binds only if it sets SO_REUSEADDR.",
            "A4", "an ESTABLISHED connection whose listener closed holds the port; the same options on the old and the new server", "tcp", "established",
            e =>
            {
                var without = e.Get(PortHolder.Established, None, None);
                var with = e.Get(PortHolder.Established, ReuseAddr, ReuseAddr);
                var newOnly = e.Get(PortHolder.Established, None, ReuseAddr);
                if (without is null || with is null || newOnly is null)
                {
                    return e.NotMeasured("the ESTABLISHED cases were not measured");
                }
                var finding = $"restart with no option: {Refusal(without)}; with SO_REUSEADDR on the new server only: {Refusal(newOnly)}; on old and new: {Refusal(with)}.";
                if (without.Ok || !with.Ok)
                {
                    return e.Judge(Verdict.DoesNotHold, finding);
                }
                // The restarted server's own option is not enough when the listener the child inherited from did not set it.
                return newOnly.Ok ? e.Judge(Verdict.Holds, finding) : e.Judge(Verdict.HoldsOnlyWhen, finding + " It binds only when the old server (whose connection the child holds) set it too.");
            }),

        new Claim("001-fin-wait-2-blocks-restart", "001_29e5db423d920b4e.txt",
            "A server stopped while its client keeps the connection open (server end in FIN_WAIT_2) cannot restart on its port.",
            "A3", "a FIN_WAIT_2 leftover holds the port; no option on either socket", "tcp", "fin_wait_2",
            e => e.JudgeOne(e.Get(PortHolder.FinWait2, None, None), holdsWhenOk: false, "the FIN_WAIT_2 case was not measured",
                o => $"restart beside FIN_WAIT_2: {Refusal(o)}.")),

        new Claim("004-every-server-sets-reuseaddr", "004_00265943a6b42d8f.txt",
            "Setting SO_REUSEADDR before bind in every TCP server lets it restart at once.",
            "F3", "SO_REUSEADDR on old and new beside every leftover a restart meets, and beside a copy still listening", "tcp", "time_wait",
            e =>
            {
                var leftovers = new[] { PortHolder.Established, PortHolder.FinWait2, PortHolder.TimeWait, PortHolder.CloseWait }
                    .Select(h => (Holder: h, Outcome: e.Get(h, ReuseAddr, ReuseAddr))).ToList();
                var oldWithout = e.Get(PortHolder.TimeWait, None, ReuseAddr);
                if (leftovers.Any(x => x.Outcome is null) || oldWithout is null)
                {
                    return e.NotMeasured("the restart cases were not measured");
                }
                var failing = leftovers.Where(x => !x.Outcome!.Ok).Select(x => x.Holder.ToLabel()).ToList();
                if (failing.Count > 0)
                {
                    return e.Judge(Verdict.DoesNotHold, $"even with SO_REUSEADDR on old and new the restart is refused beside: {string.Join(", ", failing)}.");
                }
                return oldWithout.Ok
                    ? e.Judge(Verdict.Holds, "the restart binds beside every leftover, whether or not the old server set the option.")
                    : e.Judge(Verdict.HoldsOnlyWhen, $"the restart binds beside every leftover when the old server set it too; beside a TIME_WAIT left by a server without it: {Refusal(oldWithout)}.");
            }),

        new Claim("003-multicast-receivers-share-port", "003_c77eff613f25d968.txt",
            "Several programs on one machine can receive the same multicast group on the same port when each sets SO_REUSEADDR.",
            "D6", "three receivers join one group on one port; none or SO_REUSEADDR on every receiver; datagrams counted per receiver", "udp", "udp",
            e =>
            {
                var with = e.MulticastRun(ReuseAddr);
                var without = e.MulticastRun(None);
                if (with is null || without is null)
                {
                    return e.NotMeasured("no D6 multicast runs were given to the ledger; pass await UdpReceivers.BothPathsAsync(multicast: true, sockets: 3)");
                }
                if (with.Skipped is not null)
                {
                    return e.NotMeasured(with.Skipped);
                }
                var received = string.Join(", ", with.Receivers.Select(r => r.Ok ? r.Received.ToString(System.Globalization.CultureInfo.InvariantCulture) : r.Decisive.Outcome));
                var second = without.Receivers.Count > 1 ? without.Receivers[1].Decisive : null;
                var finding = $"with SO_REUSEADDR on all three the receivers got {received} of {with.Sent}; without an option the second receiver's {second}.";
                var allReceive = with.Receivers.All(r => r.Ok && r.Received == with.Sent);
                return allReceive ? new ClaimJudgement(Verdict.Holds, finding, with.Cases.Concat(without.Cases).Select(c => c.Case).ToList())
                    : new ClaimJudgement(Verdict.DoesNotHold, finding, with.Cases.Concat(without.Cases).Select(c => c.Case).ToList());
            }),

        new Claim("003-duplicate-binding-only-multicast", "003_c77eff613f25d968.txt",
            "SO_REUSEADDR allows a completely duplicate binding (same address and port on two sockets) only for UDP multicast, never for TCP.",
            "D1", "SO_REUSEADDR on both: two bound TCP sockets, two TCP listeners, two unicast UDP sockets, and multicast receivers", "tcp/udp", "bound",
            e =>
            {
                var tcpBound = e.Get(PortHolder.Bound, ReuseAddr, ReuseAddr);
                var tcpListen = e.Get(PortHolder.Listener, ReuseAddr, ReuseAddr);
                var udp = e.Get(PortHolder.Udp, ReuseAddr, ReuseAddr);
                if (tcpBound is null || tcpListen is null || udp is null)
                {
                    return e.NotMeasured("the matrix cases were not measured");
                }
                var alsoAllowed = new List<string>();
                if (tcpBound.Ok)
                {
                    alsoAllowed.Add("two bound TCP sockets");
                }
                if (tcpListen.Ok)
                {
                    alsoAllowed.Add("two TCP listeners");
                }
                if (udp.Ok)
                {
                    alsoAllowed.Add("two unicast UDP sockets");
                }
                if (alsoAllowed.Count > 0)
                {
                    return e.Judge(Verdict.DoesNotHold, $"a duplicate binding with {Pair(ReuseAddr, ReuseAddr, e.Api)} also works for {string.Join(", ", alsoAllowed)}.");
                }
                return e.MulticastRun(ReuseAddr) is { Skipped: null } run && run.Receivers.All(r => r.Ok)
                    ? e.Judge(Verdict.Holds, "refused for TCP and unicast UDP, allowed for multicast receivers.")
                    : e.NotMeasured("refused for TCP and unicast UDP; the multicast half was not measured");
            }),

        new Claim("003-five-tuple-stays-unique", "003_c77eff613f25d968.txt",
            "SO_REUSEADDR only reuses the local address and port; the five values that name a connection stay unique.",
            "D7", "two sockets on one local port connect to two servers, a third to the first server again", "tcp", "connected",
            e =>
            {
                if (e.FiveTuple is not { } d7 || d7.Api != e.Api)
                {
                    return e.NotMeasured($"no D7 run on this path was given to the ledger; pass await FiveTuple.MeasureAsync(BindApi.{e.Api}) to ClaimsLedger.Judge");
                }
                var a = d7.Attempts.Single(x => x.Name == "client-port-to-server-a");
                var b = d7.Attempts.Single(x => x.Name == "client-port-to-server-b");
                var again = d7.Attempts.Single(x => x.Name == "client-port-to-server-a-again");
                var finding = $"to server A: {a.Decisive}; to server B from the same port: {b.Decisive}; to server A again from that port: {again.Decisive}.";
                return a.Ok && b.Ok && !again.Ok ? new ClaimJudgement(Verdict.Holds, finding, d7.Attempts.Select(x => x.Name).ToList())
                    : new ClaimJudgement(Verdict.DoesNotHold, finding, d7.Attempts.Select(x => x.Name).ToList());
            }),
    };
}
