using System.Text.Json.Nodes;

namespace AddressInUse.Lab;

/// <summary>
/// The lab's own experiments, which check the lab itself rather than teach: what the namespace looks like, and whether the
/// loopback-only filter holds there. The entry point finds them, as it finds the chapters' experiments, by their attribute.
/// </summary>
public static class LabProbes
{
    /// <summary>What the namespace looks like: its interfaces and how many rows its TCP table holds.</summary>
    [InsideLab("probe")]
    private static JsonObject Probe() => new()
    {
        ["interfaces"] = new JsonArray(System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces().Select(i => (JsonNode)JsonValue.Create($"{i.Name}:{i.OperationalStatus}")).ToArray()),
        ["tcp_rows"] = Observation.TcpTable.Read().Count,
    };

    /// <summary>The foreign IPv6 sources the filter is tried with: a documentation address and a unique-local one whose bytes 4-7 look like 127.x (the old filter read those).</summary>
    public static readonly IReadOnlyList<string> ForeignIPv6Sources = ["2001:db8:7f00::1", "fd00:1:7f12:3456::9"];

    /// <summary>
    /// Inside the lab, gives lo non-loopback addresses (10.255.0.1 and <see cref="ForeignIPv6Sources"/>, which exist in this
    /// namespace alone) and connects from each to a wildcard listener (0.0.0.0, and a dual-stack [::]) without and with the
    /// loopback-only filter, and from 127.0.0.1 and ::1 to the filtered ones.
    /// </summary>
    [InsideLab("loopback-filter")]
    private static async Task<JsonObject> LoopbackFilterInsideAsync()
    {
        var foreign = System.Net.IPAddress.Parse("10.255.0.1");
        await IpAsync("address", "add", "10.255.0.1/32", "dev", "lo").ConfigureAwait(false);
        foreach (var address in ForeignIPv6Sources)
        {
            // nodad: an address on lo is usable at once, no duplicate detection to wait for.
            await IpAsync("-6", "address", "add", address + "/128", "dev", "lo", "nodad").ConfigureAwait(false);
        }

        var ipv6 = new JsonArray();
        foreach (var from in ForeignIPv6Sources.Select(System.Net.IPAddress.Parse).Append(System.Net.IPAddress.IPv6Loopback).Append(foreign).Append(System.Net.IPAddress.Loopback))
        {
            foreach (var filtered in new[] { false, true })
            {
                ipv6.Add(new JsonObject
                {
                    ["listener"] = "[::]",
                    ["from"] = from.ToString(),
                    ["filtered"] = filtered,
                    ["connected"] = Connects(filtered, System.Net.Sockets.AddressFamily.InterNetworkV6, from),
                });
            }
        }

        return new JsonObject
        {
            ["unfiltered_from_foreign"] = Connects(false, System.Net.Sockets.AddressFamily.InterNetwork, foreign),
            ["filtered_from_foreign"] = Connects(true, System.Net.Sockets.AddressFamily.InterNetwork, foreign),
            ["filtered_from_loopback"] = Connects(true, System.Net.Sockets.AddressFamily.InterNetwork, System.Net.IPAddress.Loopback),
            ["dual_stack"] = ipv6,
        };
    }

    private static async Task IpAsync(params string[] arguments)
    {
        var ip = new System.Diagnostics.ProcessStartInfo("ip") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            ip.ArgumentList.Add(argument);
        }
        using var process = System.Diagnostics.Process.Start(ip)!;
        var errors = await process.StandardError.ReadToEndAsync().ConfigureAwait(false);
        await process.WaitForExitAsync().ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', arguments)} failed inside the lab: {errors.Trim()}");
        }
    }

    /// <summary>Whether a client bound to <paramref name="from"/> completes a handshake with a wildcard listener of the family (IPv6: dual-stack).</summary>
    private static bool Connects(bool filtered, System.Net.Sockets.AddressFamily family, System.Net.IPAddress from)
    {
        using var listener = new System.Net.Sockets.Socket(family, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        if (family == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            listener.DualMode = true;
        }
        if (filtered && Native.LoopbackOnlyFilter.Attach(listener) is var errno and not 0)
        {
            throw new InvalidOperationException($"SO_ATTACH_FILTER failed: errno {errno}");
        }
        listener.Bind(new System.Net.IPEndPoint(family == System.Net.Sockets.AddressFamily.InterNetworkV6 ? System.Net.IPAddress.IPv6Any : System.Net.IPAddress.Any, 0));
        listener.Listen(4);
        var port = ((System.Net.IPEndPoint)listener.LocalEndPoint!).Port;
        using var client = new System.Net.Sockets.Socket(from.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        client.Bind(new System.Net.IPEndPoint(from, 0));
        // A dropped SYN is retried for minutes; one second is many round trips on lo. poll() answers as soon as the handshake
        // completes, however late this thread runs: a timer racing the connect's continuation could call a slow success a drop.
        client.Blocking = false;
        try
        {
            client.Connect(new System.Net.IPEndPoint(from, port));
        }
        catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode is System.Net.Sockets.SocketError.WouldBlock or System.Net.Sockets.SocketError.InProgress)
        {
            // The handshake is under way.
        }
        return client.Poll(TimeSpan.FromSeconds(1), System.Net.Sockets.SelectMode.SelectWrite)
               && (int)client.GetSocketOption(System.Net.Sockets.SocketOptionLevel.Socket, System.Net.Sockets.SocketOptionName.Error)! == 0;
    }
}
