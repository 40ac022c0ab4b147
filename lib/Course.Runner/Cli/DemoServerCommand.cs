using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using AddressInUse.Native;

namespace Course.Runner.Cli;

/// <summary>`course demo-server --port P`: a loopback TCP server bound through the OS's own calls that prints and echoes what clients send, for live demonstrations with nc or telnet.</summary>
public sealed class DemoServerCommand : ICommand
{
    /// <summary>The text printed once the server listens; followed by the address and port (tests and scripts wait for it).</summary>
    public const string ListeningMarker = "listening on ";

    /// <inheritdoc />
    public string Name => "demo-server";

    /// <inheritdoc />
    public string Summary => "a loopback TCP server that prints and echoes what nc/telnet clients send, until Ctrl+C";

    /// <inheritdoc />
    public string Usage => """
        course demo-server --port P [--address 127.0.0.1] [--reuseaddr]

          --port P          the port to listen on (0 lets the OS choose one and prints it)
          --address A       a loopback address to bind (default 127.0.0.1; 127.0.0.2 or ::1 also work); other addresses are refused
          --reuseaddr       set SO_REUSEADDR before bind; without it a restart while old connections linger fails with EADDRINUSE

        Connect from another terminal with `nc 127.0.0.1 P` (or `telnet 127.0.0.1 P`) and watch the states with
        `dotnet run --project lib/Course.Runner -- observe --port P`.
        """;

    /// <inheritdoc />
    public async Task<int> RunAsync(IReadOnlyList<string> args, CommandContext context)
    {
        int? port = null;
        var address = IPAddress.Loopback;
        var reuse = false;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--port" when i + 1 < args.Count:
                    var p = args[++i];
                    if (!int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) || parsed is < 0 or > 65535)
                    {
                        throw new UsageException($"--port {p} is not a port number from 0 to 65535.");
                    }

                    port = parsed;
                    break;
                case "--address" when i + 1 < args.Count:
                    var a = args[++i];
                    if (!IPAddress.TryParse(a, out var parsedAddress))
                    {
                        throw new UsageException($"--address {a} is not an IP address. Fix: use a loopback address such as 127.0.0.1.");
                    }

                    if (!IPAddress.IsLoopback(parsedAddress))
                    {
                        // The course never opens a port to the network: a classroom demo must not be reachable by other machines.
                        throw new UsageException($"--address {a} is not a loopback address; demo-server only binds loopback (127.0.0.0/8 or ::1) so nothing is reachable from the network. Fix: --address 127.0.0.1.");
                    }

                    address = parsedAddress;
                    break;
                case "--reuseaddr":
                    reuse = true;
                    break;
                case "--port" or "--address":
                    throw new UsageException($"{args[i]} needs a value.");
                default:
                    throw new UsageException(args[i].StartsWith('-') ? $"Unknown option {args[i]}." : $"Unexpected argument {args[i]}.");
            }
        }

        if (port is null)
        {
            throw new UsageException("demo-server needs --port P (0 lets the OS choose).");
        }

        var output = TextWriter.Synchronized(context.Out);
        using var listener = Listen(new IPEndPoint(address, port.Value), reuse, context.Error);
        if (listener is null)
        {
            return 1;
        }

        var local = (IPEndPoint)listener.LocalEndPoint!;
        output.WriteLine($"{ListeningMarker}{local} ({(reuse ? "SO_REUSEADDR set" : "no options")}); Ctrl+C stops");
        output.WriteLine($"  try: nc {local.Address} {local.Port}");
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                var client = await listener.AcceptAsync(context.CancellationToken);
                connections.Add(ServeAsync(client, output, context.CancellationToken));
                connections.RemoveAll(t => t.IsCompleted);
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            output.WriteLine("stopping: closing the listener and every open connection");
        }
        finally
        {
            // Close the listener first so no new client slips in while the open connections are being closed.
            listener.Dispose();
            await Task.WhenAll(connections);
        }

        output.WriteLine("stopped");
        return 0;
    }

    private static Socket? Listen(IPEndPoint endPoint, bool reuse, TextWriter error)
    {
        var native = NativeSocket.Create(endPoint.AddressFamily, ProtocolType.Tcp);
        try
        {
            var steps = new List<Func<StepResult>>();
            if (reuse)
            {
                steps.Add(() => native.SetOptions(SocketOptionSet.ReuseAddress));
            }

            steps.Add(() => native.Bind(endPoint));
            steps.Add(() => native.Listen());
            foreach (var step in steps)
            {
                var result = step();
                if (!result.Ok)
                {
                    error.WriteLine($"demo-server: {result.Step} {endPoint} failed: {result.Error}.");
                    if (result.Error?.Name == "EADDRINUSE")
                    {
                        error.WriteLine(reuse
                            ? "Another socket is listening on that port. Fix: stop it, or choose another --port."
                            : "This is the course's error: an old connection or another server holds the port. Fix: wait until its TIME_WAIT ends, or start with --reuseaddr.");
                    }

                    native.Dispose();
                    return null;
                }
            }

            return native.ToSocket();
        }
        catch
        {
            native.Dispose();
            throw;
        }
    }

    private static async Task ServeAsync(Socket client, TextWriter output, CancellationToken cancel)
    {
        var peer = client.RemoteEndPoint?.ToString() ?? "?";
        output.WriteLine($"{peer}: connected");
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var n = await client.ReceiveAsync(buffer, SocketFlags.None, cancel);
                if (n == 0)
                {
                    // The client closed first: our close now is the passive one, so TIME_WAIT stays on the client's side.
                    output.WriteLine($"{peer}: client closed (EOF); closing our end");
                    break;
                }

                var text = Encoding.UTF8.GetString(buffer, 0, n).TrimEnd('\r', '\n');
                output.WriteLine($"{peer}: received {n} bytes: {text}");
                await client.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, cancel);
            }
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: the server closes first, so these connections' TIME_WAIT lands on the server side.
            output.WriteLine($"{peer}: closing (server stopping)");
        }
        catch (SocketException e)
        {
            output.WriteLine($"{peer}: {e.SocketErrorCode} ({e.Message}); closing");
        }
        finally
        {
            client.Dispose();
        }
    }
}
