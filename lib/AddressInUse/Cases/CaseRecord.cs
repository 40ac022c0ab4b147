using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace AddressInUse.Cases;

/// <summary>One side of a measured case: the socket that held the port first, or the one that tried second.</summary>
/// <param name="Address">The local address it bound ("127.0.0.1", "0.0.0.0"…).</param>
/// <param name="Protocol">"tcp" or "udp".</param>
/// <param name="Options">Canonical option names set before bind, e.g. ["SO_REUSEADDR"].</param>
public sealed record SocketSide(
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("protocol")] string Protocol,
    [property: JsonPropertyName("options")] IReadOnlyList<string> Options);

/// <summary>One measured case as images/&lt;os&gt;/results.json records it (the schema every chapter shares).</summary>
/// <param name="Scenario">The catalog id, e.g. "A1".</param>
/// <param name="Case">A short name that is unique within the scenario, e.g. "restart-no-options".</param>
/// <param name="Api">"native" (the OS's bind with exactly these options) or "dotnet" (plain .NET).</param>
/// <param name="Protocol">"tcp", "udp" or "tcp/udp".</param>
/// <param name="Holder">What held the port when the second socket tried: "listen", "time_wait", "fin_wait_2"…, or "none".</param>
/// <param name="First">The socket that held the port.</param>
/// <param name="Second">The socket that tried to take it.</param>
/// <param name="Step">The step whose outcome is recorded: "bind", "listen" or "connect".</param>
/// <param name="Outcome">"ok" or the errno name.</param>
/// <param name="Errno">The error number, or null when it succeeded.</param>
public sealed record CaseRecord(
    [property: JsonPropertyName("scenario")] string Scenario,
    [property: JsonPropertyName("case")] string Case,
    [property: JsonPropertyName("api")] string Api,
    [property: JsonPropertyName("protocol")] string Protocol,
    [property: JsonPropertyName("holder")] string Holder,
    [property: JsonPropertyName("first")] SocketSide First,
    [property: JsonPropertyName("second")] SocketSide Second,
    [property: JsonPropertyName("step")] string Step,
    [property: JsonPropertyName("outcome")] string Outcome,
    [property: JsonPropertyName("errno")] int? Errno)
{
    /// <summary>Options read back with getsockopt on the second socket (name → 0/1), where measured.</summary>
    [JsonPropertyName("readback")]
    public IReadOnlyDictionary<string, int>? Readback { get; init; }

    /// <summary>The OS settings this case ran with, by sysctl name, where the case set them itself (the private network lab), else null.</summary>
    [JsonPropertyName("settings")]
    public IReadOnlyDictionary<string, string>? Settings { get; init; }

    /// <summary>Anything else worth keeping about this case (states seen, ports, notes).</summary>
    [JsonPropertyName("details")]
    public JsonObject? Details { get; init; }

    /// <summary>The JSON options every results file is written with.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Serializes a list of cases as a JSON array (the application/vnd.course.cases+json payload).</summary>
    public static string ToJsonArray(IEnumerable<CaseRecord> cases) => JsonSerializer.Serialize(cases.ToList(), JsonOptions);
}
