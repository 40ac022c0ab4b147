using System.Text.Json.Nodes;
using AddressInUse.Lab;
using AddressInUse.Native;

namespace AddressInUse.Experiments.Matrix;

/// <summary>
/// Runs matrix cases inside the private network lab, where the wildcard address covers only the lab's own lo, and carries
/// their outcomes back: the same code as on the host, in the lab's child, one child for a whole batch of cases.
/// </summary>
internal static class PortSharingLab
{
    /// <summary>The details.namespace value of a case that ran inside the lab.</summary>
    public const string LabNamespace = "lab";

    /// <summary>The details.namespace value of a wildcard case that ran on this machine's own addresses.</summary>
    public const string HostNamespace = "host";

    /// <summary>The lab experiment's name.</summary>
    public const string Experiment = "port-sharing";

    /// <summary>Measures the cases in one lab child and returns their outcomes in the same order, with the child's notes.</summary>
    public static async Task<(IReadOnlyList<PortSharingOutcome> Outcomes, IReadOnlyList<string> Notes)> RunAsync(
        IReadOnlyList<PortSharingCase> cases, int probes, bool secondLoopback, CancellationToken cancellationToken)
    {
        var arguments = new JsonObject
        {
            ["probes"] = probes,
            ["second_loopback"] = secondLoopback,
            ["cases"] = new JsonArray(cases.Select(c => (JsonNode)CaseToJson(c)).ToArray()),
        };
        var result = await NetworkLab.RunAsync(Experiment, new Dictionary<string, string>(), arguments, TimeSpan.FromSeconds(120), cancellationToken).ConfigureAwait(false);
        var outcomes = result["outcomes"]!.AsArray().Select((o, i) => OutcomeFromJson(o!.AsObject(), cases[i])).ToList();
        if (outcomes.Count != cases.Count)
        {
            throw new InvalidOperationException($"The lab's child returned {outcomes.Count} outcomes for {cases.Count} cases.");
        }
        var notes = result["notes"]?.AsArray().Select(n => n!.GetValue<string>()).ToList() ?? new List<string>();
        return (outcomes, notes);
    }

    /// <summary>The child's side: measures the cases it was sent and returns their outcomes as JSON.</summary>
    [InsideLab(Experiment)]
    public static async Task<JsonObject> RunInsideAsync(JsonObject arguments)
    {
        var cases = arguments["cases"]!.AsArray().Select(c => CaseFromJson(c!.AsObject())).ToList();
        var notes = new List<string>();
        var outcomes = await PortSharing.RunAsync(cases, arguments["probes"]!.GetValue<int>(), arguments["second_loopback"]!.GetValue<bool>(), notes, CancellationToken.None).ConfigureAwait(false);
        return new JsonObject
        {
            ["outcomes"] = new JsonArray(outcomes.Select(o => (JsonNode)OutcomeToJson(o)).ToArray()),
            ["notes"] = new JsonArray(notes.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
        };
    }

    internal static JsonObject CaseToJson(PortSharingCase c) => new()
    {
        ["api"] = c.Api.ToString(),
        ["protocols"] = c.Protocols.ToString(),
        ["holder"] = c.Holder.ToString(),
        ["addresses"] = c.Addresses.ToString(),
        ["first"] = (int)c.FirstOptions,
        ["second"] = (int)c.SecondOptions,
    };

    internal static PortSharingCase CaseFromJson(JsonObject json) => new(
        Enum.Parse<BindApi>(json["api"]!.GetValue<string>()),
        Enum.Parse<ProtocolPair>(json["protocols"]!.GetValue<string>()),
        Enum.Parse<PortHolder>(json["holder"]!.GetValue<string>()),
        Enum.Parse<AddressPair>(json["addresses"]!.GetValue<string>()),
        (SocketOptionSet)json["first"]!.GetValue<int>(),
        (SocketOptionSet)json["second"]!.GetValue<int>());

    internal static JsonObject OutcomeToJson(PortSharingOutcome o) => new()
    {
        ["case"] = CaseToJson(o.Case),
        ["port"] = o.Port,
        ["holder_state"] = o.HolderState,
        ["steps"] = new JsonArray(o.SecondSteps.Select(s => (JsonNode)new JsonObject
        {
            ["step"] = s.Step,
            ["errno"] = s.Error?.Number,
            ["name"] = s.Error?.Name,
            ["description"] = s.Error?.Description,
        }).ToArray()),
        ["first_readback"] = o.FirstReadback is null ? null : ReadbackToJson(o.FirstReadback),
        ["second_readback"] = ReadbackToJson(o.SecondReadback),
        ["share_kind"] = o.ShareKind,
        ["shares"] = new JsonArray(o.Shares.Select(s => (JsonNode)new JsonObject { ["target"] = s.Target, ["sent"] = s.Sent, ["first"] = s.First, ["second"] = s.Second }).ToArray()),
        ["notes"] = new JsonArray(o.Notes.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
        ["sockets_open_ms"] = o.SocketsOpen?.TotalMilliseconds,
    };

    internal static PortSharingOutcome OutcomeFromJson(JsonObject json, PortSharingCase expected)
    {
        var c = CaseFromJson(json["case"]!.AsObject());
        if (c != expected)
        {
            throw new InvalidOperationException($"The lab's child returned case {c.Name} where {expected.Name} was expected.");
        }
        var steps = json["steps"]!.AsArray().Select(s => new StepResult(
            s!["step"]!.GetValue<string>(),
            s["errno"] is { } number ? new Errno(number.GetValue<int>(), s["name"]!.GetValue<string>(), s["description"]!.GetValue<string>()) : null)).ToList();
        var shares = json["shares"]!.AsArray().Select(s => new ShareCount(
            s!["target"]!.GetValue<string>(), s["sent"]!.GetValue<int>(), s["first"]!.GetValue<int>(), s["second"]!.GetValue<int>())).ToList();
        return new PortSharingOutcome(
            c,
            json["port"]!.GetValue<int>(),
            json["holder_state"]?.GetValue<string>(),
            steps,
            json["first_readback"] is JsonObject first ? ReadbackFromJson(first) : null,
            ReadbackFromJson(json["second_readback"]!.AsObject()),
            json["share_kind"]?.GetValue<string>(),
            shares,
            json["notes"]!.AsArray().Select(n => n!.GetValue<string>()).ToList())
        {
            SocketsOpen = json["sockets_open_ms"] is { } ms ? TimeSpan.FromMilliseconds(ms.GetValue<double>()) : null,
        };
    }

    private static JsonObject ReadbackToJson(IReadOnlyDictionary<string, int> values) =>
        new(values.Select(v => KeyValuePair.Create(v.Key, (JsonNode?)v.Value)));

    private static Dictionary<string, int> ReadbackFromJson(JsonObject json) =>
        json.ToDictionary(p => p.Key, p => p.Value!.GetValue<int>());
}
