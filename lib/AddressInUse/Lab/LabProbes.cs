using System.Text.Json.Nodes;

namespace AddressInUse.Lab;

/// <summary>
/// The lab's own experiments, which check the lab itself rather than teach: what the namespace looks like, and whether the
/// loopback-only filter holds there. The entry point adds them to its table beside the chapters' experiments.
/// </summary>
public static class LabProbes
{
    /// <summary>The lab's own experiments by name.</summary>
    public static IReadOnlyDictionary<string, LabExperiment> All { get; } = new Dictionary<string, LabExperiment>(StringComparer.Ordinal)
    {
        // What the namespace looks like: its interfaces and the settings as the child reads them.
        ["probe"] = _ => Task.FromResult(new JsonObject
        {
            ["interfaces"] = new JsonArray(System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces().Select(i => (JsonNode)JsonValue.Create($"{i.Name}:{i.OperationalStatus}")).ToArray()),
            ["tcp_rows"] = Observation.TcpTable.Read().Count,
        }),
        ["loopback-filter"] = _ => LoopbackFilterInsideAsync(),
    };

    /// <summary>
    /// Inside the lab, gives lo a non-loopback address (10.255.0.1, which exists in this namespace alone) and connects from it
    /// to a wildcard listener without and with the loopback-only filter, and from 127.0.0.1 to the filtered one.
    /// </summary>
    private static async Task<JsonObject> LoopbackFilterInsideAsync()
    {
        var foreign = System.Net.IPAddress.Parse("10.255.0.1");
        var ip = new System.Diagnostics.ProcessStartInfo("ip") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "address", "add", "10.255.0.1/32", "dev", "lo" })
        {
            ip.ArgumentList.Add(argument);
        }
        using (var process = System.Diagnostics.Process.Start(ip)!)
        {
            var errors = await process.StandardError.ReadToEndAsync().ConfigureAwait(false);
            await process.WaitForExitAsync().ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"ip address add failed inside the lab: {errors.Trim()}");
            }
        }
        async Task<bool> ConnectsAsync(bool filtered, System.Net.IPAddress from)
        {
            using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            if (filtered && Native.LoopbackOnlyFilter.Attach(listener) is var errno and not 0)
            {
                throw new InvalidOperationException($"SO_ATTACH_FILTER failed: errno {errno}");
            }
            listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Any, 0));
            listener.Listen(4);
            var port = ((System.Net.IPEndPoint)listener.LocalEndPoint!).Port;
            using var client = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            client.Bind(new System.Net.IPEndPoint(from, 0));
            // A dropped SYN is retried for minutes; one second is many round trips on lo.
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try
            {
                await client.ConnectAsync(new System.Net.IPEndPoint(from, port), deadline.Token).ConfigureAwait(false);
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
        return new JsonObject
        {
            ["unfiltered_from_foreign"] = await ConnectsAsync(false, foreign).ConfigureAwait(false),
            ["filtered_from_foreign"] = await ConnectsAsync(true, foreign).ConfigureAwait(false),
            ["filtered_from_loopback"] = await ConnectsAsync(true, System.Net.IPAddress.Loopback).ConfigureAwait(false),
        };
    }
}
