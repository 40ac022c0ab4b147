using System.Text.Json.Nodes;
using AddressInUse.Experiments.ClientSide;
using AddressInUse.Experiments.Teardown;

namespace AddressInUse.Lab;

/// <summary>The experiments the lab's child can run inside its namespace, by name.</summary>
public static class LabExperiments
{
    /// <summary>Every experiment name the child knows.</summary>
    public static IReadOnlySet<string> Names { get; } = new HashSet<string>(StringComparer.Ordinal) { "probe", "e3", "fin-timeout", "tw-buckets", "tw-length", Experiments.Matrix.PortSharingLab.Experiment };

    internal static async Task<JsonObject> RunAsync(string name, JsonObject arguments) => name switch
    {
        // What the namespace looks like: its interfaces and the settings as the child reads them.
        "probe" => new JsonObject
        {
            ["interfaces"] = new JsonArray(System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces().Select(i => (JsonNode)JsonValue.Create($"{i.Name}:{i.OperationalStatus}")).ToArray()),
            ["tcp_rows"] = Observation.TcpTable.Read().Count,
        },
        "e3" => await TimeWaitReuse.MeasureInsideAsync().ConfigureAwait(false),
        "fin-timeout" => await TimeWaitSettings.OrphanFinWait2InsideAsync().ConfigureAwait(false),
        "tw-buckets" => await TimeWaitSettings.TimeWaitBucketsInsideAsync(arguments).ConfigureAwait(false),
        "tw-length" => await TimeWaitSettings.TimeWaitLengthInsideAsync().ConfigureAwait(false),
        // The matrix's wildcard cases: inside the lab the wildcard address covers only the lab's own lo.
        Experiments.Matrix.PortSharingLab.Experiment => await Experiments.Matrix.PortSharingLab.RunInsideAsync(arguments).ConfigureAwait(false),
        _ => throw new ArgumentException($"No lab experiment is called '{name}'."),
    };
}
