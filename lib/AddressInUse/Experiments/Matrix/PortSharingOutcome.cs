using System.Text.Json.Nodes;
using AddressInUse.Child;
using AddressInUse.Native;
using AddressInUse.Display;
using AddressInUse.Cases;

namespace AddressInUse.Experiments.Matrix;

/// <summary>Where two sockets ended up sharing a port: how many of the probes sent to one address each socket got.</summary>
/// <param name="Target">The address the probes were sent to, e.g. "127.0.0.1".</param>
/// <param name="Sent">How many connections (or datagrams) reached the port.</param>
/// <param name="First">How many the first socket accepted (or received).</param>
/// <param name="Second">How many the second socket accepted (or received).</param>
public sealed record ShareCount(string Target, int Sent, int First, int Second)
{
    /// <summary>"127.0.0.1: first 5, second 3 of 8".</summary>
    public override string ToString() => $"{Target}: first {First}, second {Second} of {Sent}";
}

/// <summary>A case the plan asked for but this machine cannot run, with the reason.</summary>
/// <param name="Case">The case.</param>
/// <param name="Reason">Why it was not measured and what would make it possible.</param>
public sealed record PortSharingSkip(PortSharingCase Case, string Reason);

/// <summary>What happened in one case: the holder as built, each step of the second socket, and who got the traffic.</summary>
/// <param name="Case">The case measured.</param>
/// <param name="Port">The port, chosen by the OS for this case alone.</param>
/// <param name="HolderState">The holder's TCP state just before the second bind ("TIME_WAIT"…), or null where there is no connection.</param>
/// <param name="SecondSteps">The second socket's steps in order (setsockopt, bind, listen); it stops at the first failure.</param>
/// <param name="FirstReadback">The first socket's options read back after its bind, or null when nothing held the port.</param>
/// <param name="SecondReadback">The second socket's options read back after its last step.</param>
/// <param name="ShareKind">"accept" when two listeners shared the port, "receive" when two UDP sockets did, else null.</param>
/// <param name="Shares">Per probed address, which socket got the connections or datagrams.</param>
/// <param name="Notes">Anything that went differently from plan.</param>
public sealed record PortSharingOutcome(
    PortSharingCase Case,
    int Port,
    string? HolderState,
    IReadOnlyList<StepResult> SecondSteps,
    IReadOnlyDictionary<string, int>? FirstReadback,
    IReadOnlyDictionary<string, int> SecondReadback,
    string? ShareKind,
    IReadOnlyList<ShareCount> Shares,
    IReadOnlyList<string> Notes) : HtmlResult
{
    /// <summary>The outcome as a one-row table (its case is recorded by the matrix or table it came from).</summary>
    public override string ToHtml() => new PortSharingTable(Case.ToString(), "", new[] { this }).ToHtml();

    /// <summary>The step that decides the case: the first that failed, or the last one when all succeeded.</summary>
    public StepResult Decisive => SecondSteps.FirstOrDefault(s => !s.Ok) ?? SecondSteps[^1];

    /// <summary>Whether every step of the second socket succeeded.</summary>
    public bool Ok => SecondSteps.All(s => s.Ok);

    /// <summary>"ok" or the errno name of the decisive step.</summary>
    public string Outcome => Decisive.Outcome;

    /// <summary>Whether the bind itself succeeded (even if listen then failed).</summary>
    public bool BindOk => SecondSteps.Any(s => s.Step == "bind" && s.Ok);

    /// <summary>Whether both sockets got some of the traffic sent to at least one address.</summary>
    public bool TrafficSplit => Shares.Any(s => s.First > 0 && s.Second > 0);

    /// <summary>Where a wildcard case ran: "lab" (the private network namespace, only its own lo) or "host" (this machine's wildcard address); null for loopback-only cases.</summary>
    public string? Namespace { get; init; }

    /// <summary>How long the case's sockets were open, from the holder's creation to the close of the last one.</summary>
    public TimeSpan? SocketsOpen { get; init; }

    /// <summary>The results.json record of this case, filed under the given scenario id.</summary>
    public CaseRecord ToCase(string scenario)
    {
        var c = Case;
        var steps = new JsonObject();
        foreach (var step in SecondSteps)
        {
            steps[step.Step] = step.Outcome;
        }
        var details = new JsonObject
        {
            ["port"] = Port,
            ["holder_label"] = c.Holder.ToLabel(),
            ["holder_state"] = HolderState,
            ["steps"] = steps,
        };
        if (FirstReadback is not null)
        {
            details["first_readback"] = ToJson(FirstReadback);
        }
        if (c.Api == BindApi.Dotnet)
        {
            details["dotnet_calls"] = new JsonObject
            {
                ["first"] = c.Holder == PortHolder.None ? null : OptionChoices.DotnetCalls(c.FirstOptions),
                ["second"] = OptionChoices.DotnetCalls(c.SecondOptions),
            };
        }
        if (ShareKind is not null)
        {
            var shares = new JsonArray();
            foreach (var s in Shares)
            {
                shares.Add(new JsonObject { ["target"] = s.Target, ["sent"] = s.Sent, ["first"] = s.First, ["second"] = s.Second });
            }
            details[ShareKind == "accept" ? "accepted_by" : "received_by"] = shares;
        }
        if (Namespace is not null)
        {
            details["namespace"] = Namespace;
        }
        if (Namespace is not null && SocketsOpen is { } open)
        {
            details["sockets_open_ms"] = Math.Round(open.TotalMilliseconds, 1);
        }
        if (Notes.Count > 0)
        {
            details["notes"] = new JsonArray(Notes.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray());
        }
        var firstProtocol = c.Holder == PortHolder.None ? ProtocolPairs.ProtocolName(c.Protocols.First()) : ProtocolPairs.ProtocolName(c.Holder.Protocol());
        return new CaseRecord(
            scenario,
            c.Name,
            c.ApiName,
            c.Protocols.ToName(),
            c.Holder.ToName(),
            new SocketSide(c.FirstAddress.ToString(), firstProtocol, c.FirstOptions.ToNames()),
            new SocketSide(c.SecondAddress.ToString(), ProtocolPairs.ProtocolName(c.Protocols.Second()), c.SecondOptions.ToNames()),
            Decisive.Step,
            Decisive.Outcome,
            Decisive.Error?.Number)
        {
            Readback = SecondReadback,
            Details = details,
        };
    }

    /// <summary>"listener · 127.0.0.1 then 127.0.0.1 · tcp · native · none → none: bind EADDRINUSE (98)".</summary>
    public override string ToString() => $"{Case}: {Decisive}";

    private static JsonObject ToJson(IReadOnlyDictionary<string, int> values)
    {
        var json = new JsonObject();
        foreach (var (name, value) in values)
        {
            json[name] = value;
        }
        return json;
    }
}
