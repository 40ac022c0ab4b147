using System.Diagnostics;
using System.Globalization;
using AddressInUse.Observation;

namespace Course.Runner.Cli;

/// <summary>`course observe --port P`: prints every socket on a port each time its TCP state changes, for anyone's connections.</summary>
public sealed class ObserveCommand : ICommand
{
    /// <summary>The pause between two reads of the TCP table when none is given.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(5);

    /// <inheritdoc />
    public string Name => "observe";

    /// <inheritdoc />
    public string Summary => "print each TCP state change of every socket on a port (any program's), until --seconds or Ctrl+C";

    /// <inheritdoc />
    public string Usage => """
        course observe --port P [--seconds S] [--json] [--interval-ms N]

          --port P          the port to watch (1-65535); sockets whose local or remote port is P are shown
          --seconds S       stop after S seconds (default: until Ctrl+C)
          --json            one JSON object per line: t_ms, local, remote, from, to, recv_q, send_q
          --interval-ms N   pause between two reads of the OS's TCP table (default 5)
          --web             serve a live timeline page on a loopback port instead (first line: serving http://127.0.0.1:NNNN/)
          --web-address A   the loopback address to serve it on (default 127.0.0.1; any other address is refused)
        """;

    /// <inheritdoc />
    public async Task<int> RunAsync(IReadOnlyList<string> args, CommandContext context)
    {
        int? port = null;
        double? seconds = null;
        var json = false;
        var interval = DefaultInterval;
        var web = false;
        var webAddress = System.Net.IPAddress.Loopback;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--port":
                    port = ParsePort(Value(args, ref i));
                    break;
                case "--seconds":
                    var s = Value(args, ref i);
                    if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsedSeconds) || parsedSeconds <= 0 || double.IsInfinity(parsedSeconds))
                    {
                        throw new UsageException($"--seconds {s} is not a positive number of seconds.");
                    }
                    seconds = parsedSeconds;
                    break;
                case "--interval-ms":
                    var ms = Value(args, ref i);
                    if (!int.TryParse(ms, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsedMs) || parsedMs is < 0 or > 60_000)
                    {
                        throw new UsageException($"--interval-ms {ms} is not a whole number from 0 to 60000.");
                    }
                    interval = TimeSpan.FromMilliseconds(parsedMs);
                    break;
                case "--json":
                    json = true;
                    break;
                case "--web":
                    web = true;
                    break;
                case "--web-address":
                    var text = Value(args, ref i);
                    try
                    {
                        webAddress = Live.ObserveWebServer.ParseLoopback(text);
                    }
                    catch (ArgumentException e)
                    {
                        throw new UsageException(e.Message);
                    }
                    break;
                default:
                    throw new UsageException(args[i].StartsWith('-') ? $"Unknown option {args[i]}." : $"Unexpected argument {args[i]}.");
            }
        }
        if (port is null)
        {
            throw new UsageException("observe needs --port P, the port whose sockets to watch.");
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        if (seconds is { } limit)
        {
            stop.CancelAfter(TimeSpan.FromSeconds(limit));
        }
        if (web)
        {
            await new Live.ObserveWebServer(port.Value, interval, webAddress).RunAsync(context.Out, stop.Token).ConfigureAwait(false);
            return 0;
        }
        var watch = SocketWatch.ForPort(port.Value);
        if (!json)
        {
            context.Out.WriteLine($"watching TCP port {port} every {interval.TotalMilliseconds:0} ms{(seconds is null ? " (Ctrl+C stops)" : $" for {seconds} s")}; times are ms since start");
        }
        var polls = 0;
        var clock = Stopwatch.StartNew();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var change in watch.Poll())
                {
                    context.Out.WriteLine(json ? change.ToJson() : change.ToString());
                }
                context.Out.Flush();
                polls++;
                await Task.Delay(interval, stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        if (!json)
        {
            context.Out.WriteLine($"stopped after {clock.Elapsed.TotalSeconds:0.0} s, {polls} reads of the TCP table");
        }
        // Ctrl+C is the normal way to end an open-ended watch, so it is not an error here.
        return 0;
    }

    private static string Value(IReadOnlyList<string> args, ref int i)
    {
        if (i + 1 >= args.Count)
        {
            throw new UsageException($"{args[i]} needs a value.");
        }
        return args[++i];
    }

    /// <summary>Parses a port from 1 to 65535, or throws a usage error that says what is allowed.</summary>
    public static int ParsePort(string text)
    {
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new UsageException($"--port {text} is not a port: use a whole number from 1 to 65535.");
        }
        return port;
    }
}
