using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AddressInUse.Experiments.Matrix;
using AddressInUse.Native;
using AddressInUse.Display;
using AddressInUse.Cases;

namespace AddressInUse.Experiments.Production;

/// <summary>In which order two servers on one port make their calls.</summary>
public enum ListenOrder
{
    /// <summary>Both bind, then both listen: the second bind meets a socket that does not listen yet.</summary>
    BindBindListenListen,
    /// <summary>The first binds and listens before the second binds: the classic restart the matrix measures.</summary>
    BindListenBindListen,
}

/// <summary>One case: the bind path, the options both sockets set, and the order of the calls.</summary>
/// <param name="Api">The OS's own calls, or plain .NET.</param>
/// <param name="Options">The options both sockets set (on the .NET path: None is a plain Bind, ReuseAddress is ReuseAddress = true).</param>
/// <param name="Order">The order of the four calls.</param>
public sealed record ListenStepCase(BindApi Api, SocketOptionSet Options, ListenOrder Order)
{
    /// <summary>"native-reuseaddr-bind-bind-listen-listen".</summary>
    public string Name => $"{(Api == BindApi.Native ? "native" : "dotnet")}-{OptionChoices.ToSlug(Options)}-{(Order == ListenOrder.BindBindListenListen ? "bind-bind-listen-listen" : "bind-listen-bind-listen")}";

    /// <summary>The options as the path spells them: "SO_REUSEADDR", "plain Bind", "ReuseAddress = true".</summary>
    public string OptionsLabel => OptionChoices.ToLabel(Options, Api);
}

/// <summary>What one call of a case returned.</summary>
/// <param name="Socket">"first" or "second".</param>
/// <param name="Call">"bind" or "listen".</param>
/// <param name="Result">"ok" or the errno.</param>
public sealed record ListenStepCall(string Socket, string Call, StepResult Result);

/// <summary>One measured case: every call in order (the second socket's calls stop at its first refusal), and the options read back.</summary>
/// <param name="Case">The case.</param>
/// <param name="Calls">The calls in the order they were made.</param>
/// <param name="FirstReadback">The first socket's options, read back after its bind.</param>
/// <param name="SecondReadback">The second socket's options, read back after its bind.</param>
public sealed record ListenStepOutcome(ListenStepCase Case, IReadOnlyList<ListenStepCall> Calls, IReadOnlyDictionary<string, int> FirstReadback, IReadOnlyDictionary<string, int> SecondReadback)
{
    /// <summary>The second socket's call that was refused, or null when both servers listen.</summary>
    public ListenStepCall? Refused => Calls.FirstOrDefault(c => c.Socket == "second" && !c.Result.Ok);

    /// <summary>The call of <paramref name="socket"/> named <paramref name="call"/>, or null when it was not made.</summary>
    public ListenStepCall? Find(string socket, string call) => Calls.FirstOrDefault(c => c.Socket == socket && c.Call == call);

    /// <summary>The case as results.json records it: the step that decided (the second's refused call, or its listen), and its outcome.</summary>
    public CaseRecord ToCase()
    {
        var deciding = Refused ?? Find("second", "listen")!;
        var options = Case.Options.ToNames().ToList();
        return new CaseRecord("P2", Case.Name, Case.Api == BindApi.Native ? "native" : "dotnet", "tcp", Case.Order == ListenOrder.BindBindListenListen ? "bound" : "listen",
            new SocketSide("127.0.0.1", "tcp", options), new SocketSide("127.0.0.1", "tcp", options), deciding.Call, deciding.Result.Outcome, deciding.Result.Error?.Number)
        {
            Readback = SecondReadback,
            Details = new JsonObject
            {
                ["order"] = Case.Order == ListenOrder.BindBindListenListen ? "bind, bind, listen, listen" : "bind, listen, bind, listen",
                ["second_bind"] = Find("second", "bind")?.Result.Outcome,
                ["second_listen"] = Find("second", "listen")?.Result.Outcome,
                ["first_listen"] = Find("first", "listen")?.Result.Outcome,
            },
        };
    }
}

/// <summary>What Linux's rule predicts for one case, call by call.</summary>
/// <param name="Outcome">The measured case.</param>
/// <param name="SecondBindOk">Whether the second bind is predicted to succeed.</param>
/// <param name="SecondListenOk">Whether the second listen is predicted to succeed (false when its bind is refused).</param>
/// <param name="Reason">The clause that decided.</param>
public sealed record ListenPrediction(ListenStepOutcome Outcome, bool SecondBindOk, bool SecondListenOk, string Reason)
{
    /// <summary>True when a measured call disagrees with the prediction.</summary>
    public bool Mismatch =>
        (Outcome.Find("second", "bind")?.Result.Ok ?? false) != SecondBindOk
        || (Outcome.Find("second", "listen")?.Result.Ok ?? false) != SecondListenOk
        || Outcome.Find("first", "listen")?.Result.Ok == false;
}

/// <summary>
/// Linux's rule with the listen step: bind() checks the port against the sockets already on it, and listen() checks it
/// again; SO_REUSEADDR on both lets sockets share a port only while none of them listens, SO_REUSEPORT on both (same user) always.
/// </summary>
public sealed record ListenRule(IReadOnlyList<ListenPrediction> Predictions) : HtmlResult
{
    /// <summary>The rule in words, for the chapter.</summary>
    public const string LinuxRule = "On Linux, bind() and listen() both refuse a port another socket holds, unless both sockets set SO_REUSEPORT (same user), or both set SO_REUSEADDR and the other socket is not listening; so with SO_REUSEADDR alone two sockets can bind while neither listens, and the second listen() fails.";

    /// <summary>The rule applied to one measured case, from the options both sockets really carried.</summary>
    public static ListenPrediction PredictLinux(ListenStepOutcome o)
    {
        static bool On(IReadOnlyDictionary<string, int> r, string name) => r.TryGetValue(name, out var v) && v == 1;
        var bothReusePort = On(o.FirstReadback, SocketOptionNames.ReusePort) && On(o.SecondReadback, SocketOptionNames.ReusePort);
        var bothReuseAddr = On(o.FirstReadback, SocketOptionNames.ReuseAddress) && On(o.SecondReadback, SocketOptionNames.ReuseAddress);
        if (bothReusePort)
        {
            return new(o, true, true, "both SO_REUSEPORT, same user: shared at bind and at listen");
        }
        var firstListensFirst = o.Case.Order == ListenOrder.BindListenBindListen;
        if (bothReuseAddr && !firstListensFirst)
        {
            return new(o, true, false, "both SO_REUSEADDR: the bind is shared while neither listens; listen() meets a listener");
        }
        return new(o, false, false, bothReuseAddr ? "both SO_REUSEADDR, but the first already listens" : "neither exception applies");
    }

    /// <summary>Predicts every case.</summary>
    public static ListenRule PredictLinux(ListenStepMatrix matrix) => new(matrix.Outcomes.Select(PredictLinux).ToList());

    /// <summary>The cases where a measured call disagrees with the rule.</summary>
    public IReadOnlyList<ListenPrediction> Mismatches => Predictions.Where(p => p.Mismatch).ToList();

    /// <summary>A count line and the mismatches, if any.</summary>
    public override string ToHtml() => $"<div class=\"course-outcome\"><p>{Html.E(LinuxRule)}</p><p>The rule predicts every call of <b>{Predictions.Count}</b> cases; " +
        (Mismatches.Count == 0 ? "every one matches the measurement.</p></div>" : $"<b>{Mismatches.Count}</b> differ: {Html.E(string.Join(", ", Mismatches.Select(m => m.Outcome.Case.Name)))}.</p></div>");

    /// <summary>The count line.</summary>
    public override string ToString() => $"rule predicted {Predictions.Count} cases; mismatches: {Mismatches.Count}";
}

/// <summary>Scenario P2's cases, measured: two servers on one port, each call's outcome.</summary>
/// <param name="Outcomes">One per case.</param>
public sealed record ListenStepMatrix(IReadOnlyList<ListenStepOutcome> Outcomes) : MeasuredResult
{
    /// <inheritdoc />
    public override IEnumerable<CaseRecord> Cases => Outcomes.Select(o => o.ToCase());

    /// <summary>One row per case: the path, the options, the order and each call's outcome.</summary>
    public override string ToHtml()
    {
        static string Cell(ListenStepCall? call) => call is null ? "—" : Html.Badge(call.Result.Outcome);
        return Html.Table(["path", "options (both sockets)", "order", "first bind", "second bind", "first listen", "second listen"],
            Outcomes.Select(o => new[]
            {
                o.Case.Api == BindApi.Native ? "OS calls" : ".NET", Html.E(o.Case.OptionsLabel),
                o.Case.Order == ListenOrder.BindBindListenListen ? "bind, bind, listen, listen" : "bind, listen, bind, listen",
                Cell(o.Find("first", "bind")), Cell(o.Find("second", "bind")), Cell(o.Find("first", "listen")), Cell(o.Find("second", "listen")),
            }));
    }

    /// <summary>One line per case.</summary>
    public override string ToString() => string.Join(Environment.NewLine, Outcomes.Select(o => $"{o.Case.Name}: {string.Join(", ", o.Calls.Select(c => $"{c.Socket} {c.Call} {c.Result.Outcome}"))}"));
}

/// <summary>Scenario P2: does a successful bind() mean the port is yours? Two servers on one 127.0.0.1 port, bind and listen in both orders.</summary>
public static class ListenStep
{
    /// <summary>Every case: the OS's calls with each Unix option set, and .NET's plain Bind and ReuseAddress = true, in both orders.</summary>
    public static IReadOnlyList<ListenStepCase> AllCases { get; } =
        (from api in new[] { BindApi.Native, BindApi.Dotnet }
         from options in api == BindApi.Native ? [SocketOptionSet.None, SocketOptionSet.ReuseAddress, SocketOptionSet.ReusePort, OptionChoices.Both] : new[] { SocketOptionSet.None, SocketOptionSet.ReuseAddress }
         from order in Enum.GetValues<ListenOrder>()
         select new ListenStepCase(api, options, order)).ToList();

    /// <summary>Measures every case on 127.0.0.1, each on a port the OS picks for the first socket; every socket is closed before it returns.</summary>
    public static ListenStepMatrix Measure()
    {
        OsInfo.EnsureSupported();
        if (OsInfo.Current == OsFamily.Windows)
        {
            throw new PlatformNotSupportedException("The listen-step cases use SO_REUSEPORT, which Windows does not have; chapter 10 measures Windows' own options.");
        }
        return new ListenStepMatrix(AllCases.Select(MeasureOne).ToList());
    }

    private static ListenStepOutcome MeasureOne(ListenStepCase c)
    {
        using var first = CaseSocket.Create(c.Api, ProtocolType.Tcp, c.Options);
        using var second = CaseSocket.Create(c.Api, ProtocolType.Tcp, c.Options);
        first.OptionsResult.ThrowIfFailed();
        second.OptionsResult.ThrowIfFailed();
        var calls = new List<ListenStepCall> { new("first", "bind", first.Bind(new IPEndPoint(IPAddress.Loopback, 0)).ThrowIfFailed()) };
        var endPoint = new IPEndPoint(IPAddress.Loopback, first.LocalPort);
        if (c.Order == ListenOrder.BindListenBindListen)
        {
            calls.Add(new("first", "listen", first.Listen(16)));
        }
        var bind = second.Bind(endPoint);
        calls.Add(new("second", "bind", bind));
        if (c.Order == ListenOrder.BindBindListenListen)
        {
            calls.Add(new("first", "listen", first.Listen(16)));
        }
        if (bind.Ok)
        {
            calls.Add(new("second", "listen", second.Listen(16)));
        }
        return new ListenStepOutcome(c, calls, first.Readback(), second.Readback());
    }
}
