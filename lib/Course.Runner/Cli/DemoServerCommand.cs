using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Text;
using AddressInUse.Diagnosis;
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
    public Command Create(CommandContext context)
    {
        var port = CliValues.PortOption("the port to listen on (0 lets the OS choose one and prints it)", lowest: 0);
        port.Required = true;
        var address = new Option<IPAddress?>("--address")
        {
            Description = "a loopback address to bind (default 127.0.0.1; 127.0.0.2 or ::1 also work); other addresses are refused",
            HelpName = "A",
            CustomParser = r =>
            {
                var (value, ok) = CliValues.Single(r, ParseLoopback);
                return ok ? value : null;
            },
        };
        var reuse = new Option<bool>("--reuseaddr") { Description = "set SO_REUSEADDR before bind; without it a restart while old connections linger fails with EADDRINUSE" };
        var command = new Command("demo-server", "a loopback TCP server that prints and echoes what nc/telnet clients send, until Ctrl+C")
        {
            port, address, reuse,
        };
        command.SetAction((parsed, token) => RunAsync(
            new IPEndPoint(parsed.GetValue(address) ?? IPAddress.Loopback, parsed.GetValue(port)!.Value),
            parsed.GetValue(reuse),
            context with { CancellationToken = token }));
        return command;
    }

    /// <summary>Parses --address: an IP address on loopback, or an error naming the fix.</summary>
    public static (IPAddress? Address, string? Error) ParseLoopback(string text)
    {
        if (!IPAddress.TryParse(text, out var parsed) || text.Trim() != text)
        {
            return (null, $"--address {CliValues.Quote(text)} is not an IP address. Fix: use a loopback address such as 127.0.0.1.");
        }

        if (!IPAddress.IsLoopback(parsed))
        {
            // The course never opens a port to the network: a classroom demo must not be reachable by other machines.
            return (null, $"--address {text} is not a loopback address; demo-server only binds loopback (127.0.0.0/8 or ::1) so nothing is reachable from the network. Fix: --address 127.0.0.1.");
        }

        return (parsed, null);
    }

    /// <summary>Serves on the endpoint until the context is cancelled; 0 after a clean stop, 1 when the port cannot be bound.</summary>
    public static async Task<int> RunAsync(IPEndPoint endPoint, bool reuse, CommandContext context)
    {
        var output = TextWriter.Synchronized(context.Out);
        using var listener = Listen(endPoint, reuse, context.Error);
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
                        // Process names come from /proc and may hold terminal escape sequences.
                        error.WriteLine(PrintableText.Escape(PortDiagnosis.ExplainBindFailure(endPoint, reuse, "--reuseaddr")));
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

                // Bytes from the network are shown escaped: a client must not be able to drive the instructor's terminal.
                var text = PrintableText.Escape(Encoding.UTF8.GetString(buffer, 0, n).TrimEnd('\r', '\n'));
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
