using AddressInUse.Native;
using AddressInUse.Display;

namespace AddressInUse.Experiments.Matrix;

/// <summary>What the OS's bind-conflict rule predicts for one measured case, beside what was measured.</summary>
/// <param name="Outcome">The measured case.</param>
/// <param name="PredictedOk">Whether the rule lets the second socket bind (and listen), or null where the rule does not decide it.</param>
/// <param name="Reason">The clause of the rule that decided it.</param>
public sealed record BindPrediction(PortSharingOutcome Outcome, bool? PredictedOk, string Reason)
{
    /// <summary>True when the rule decided the case and the measurement disagrees.</summary>
    public bool Mismatch => PredictedOk is { } ok && ok != Outcome.Ok;
}

/// <summary>
/// Linux's bind-conflict rule as a predictor: a second socket is refused when the addresses overlap (equal, or one is a
/// wildcard) and the protocols are the same, unless both sockets carry SO_REUSEADDR and the holder is not listening, or
/// both carry SO_REUSEPORT (and belong to the same user, which every course case does).
/// </summary>
/// <remarks>It reads the options both sockets really carried (getsockopt), so it predicts the .NET path too.</remarks>
public sealed record BindRule(IReadOnlyList<BindPrediction> Predictions) : HtmlResult
{
    /// <summary>The rule in words, for the chapter.</summary>
    public const string LinuxRule = "Linux refuses a second bind on the same protocol and port when the addresses overlap, unless both sockets set SO_REUSEADDR and the holder is not listening, or both set SO_REUSEPORT and belong to the same user.";

    /// <summary>Predicts every case of the matrix with Linux's rule.</summary>
    public static BindRule PredictLinux(PortSharingMatrix matrix) => new(matrix.Outcomes.Select(PredictLinux).ToList());

    /// <summary>Linux's rule applied to one case.</summary>
    public static BindPrediction PredictLinux(PortSharingOutcome o)
    {
        var c = o.Case;
        if (c.Holder == PortHolder.None)
        {
            return new(o, true, "nothing holds the port");
        }
        if (c.Protocols is ProtocolPair.TcpUdp or ProtocolPair.UdpTcp)
        {
            return new(o, true, "TCP and UDP ports are separate");
        }
        if (c.Addresses == AddressPair.TwoSpecific)
        {
            return new(o, true, "the addresses do not overlap");
        }
        if (o.FirstReadback is null)
        {
            return new(o, null, "the holder's options were not read back");
        }

        static bool On(IReadOnlyDictionary<string, int> r, string name) => r.TryGetValue(name, out var v) && v == 1;
        var bothReuseAddr = On(o.FirstReadback, SocketOptionNames.ReuseAddress) && On(o.SecondReadback, SocketOptionNames.ReuseAddress);
        var bothReusePort = On(o.FirstReadback, SocketOptionNames.ReusePort) && On(o.SecondReadback, SocketOptionNames.ReusePort);
        var listening = c.Holder is PortHolder.Listener or PortHolder.ListenerWithClient;
        if (bothReusePort)
        {
            return new(o, true, "both SO_REUSEPORT, same user");
        }
        if (bothReuseAddr && !listening)
        {
            return new(o, true, "both SO_REUSEADDR, holder not listening");
        }
        return new(o, false, bothReuseAddr ? "overlap; both SO_REUSEADDR but the holder listens" : "overlap; neither exception applies");
    }

    /// <summary>The cases the rule decided.</summary>
    public int Decided => Predictions.Count(p => p.PredictedOk is not null);

    /// <summary>The cases where the measurement disagrees with the rule.</summary>
    public IReadOnlyList<BindPrediction> Mismatches => Predictions.Where(p => p.Mismatch).ToList();

    /// <summary>A count line and the mismatches, if any.</summary>
    public override string ToHtml() =>
        $"<div class=\"course-outcome\"><p>The rule decided <b>{Decided}</b> of {Predictions.Count} cases; " +
        (Mismatches.Count == 0 ? "every one matches the measurement.</p>" :
            $"<b>{Mismatches.Count}</b> differ from the measurement:</p>" + Html.Table(
                new[] { "case", "rule", "predicted", "measured" },
                Mismatches.Select(m => new[] { Html.E(m.Outcome.Case.Name), Html.E(m.Reason), Html.Badge(m.PredictedOk == true ? "ok" : "EADDRINUSE"), Html.Badge(m.Outcome.Outcome) }))) + "</div>";

    /// <summary>The count line.</summary>
    public override string ToString() => $"rule decided {Decided} of {Predictions.Count}; mismatches: {Mismatches.Count}" +
        string.Concat(Mismatches.Select(m => $"{Environment.NewLine}  {m.Outcome.Case.Name}: predicted {(m.PredictedOk == true ? "ok" : "refused")} ({m.Reason}), measured {m.Outcome.Outcome}"));
}
