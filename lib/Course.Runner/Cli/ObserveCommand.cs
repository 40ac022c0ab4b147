using System.CommandLine;
using System.Diagnostics;
using AddressInUse.Observation;

namespace Course.Runner.Cli;

/// <summary>What `course observe` watches and how it prints.</summary>
/// <param name="Port">The port whose sockets are shown (local or remote side).</param>
/// <param name="Duration">How long to watch; null: until Ctrl+C.</param>
/// <param name="Json">One JSON object per line instead of text.</param>
/// <param name="Interval">The pause between two reads of the TCP table.</param>
public sealed record ObserveOptions(int Port, TimeSpan? Duration, bool Json, TimeSpan Interval);

/// <summary>`course observe --port P`: prints every socket on a port each time its TCP state changes, for anyone's connections.</summary>
/// <remarks>The command only parses; <see cref="PortObserver"/> does the watching, so another way of showing the changes is another class beside it.</remarks>
public sealed class ObserveCommand : ICommand
{
    /// <summary>The pause between two reads of the TCP table when none is given.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(5);

    /// <inheritdoc />
    public string Name => "observe";

    /// <inheritdoc />
    public Command Create(CommandContext context)
    {
        var port = CliValues.PortOption("the port to watch (1-65535); sockets whose local or remote port is P are shown", lowest: 1);
        port.Required = true;
        var seconds = CliValues.SecondsOption("--seconds", "stop after S seconds (default: until Ctrl+C)", "30");
        var json = new Option<bool>("--json") { Description = "one JSON object per line: t_ms, local, remote, from, to, recv_q, send_q" };
        var interval = new Option<int?>("--interval-ms")
        {
            Description = $"pause between two reads of the OS's TCP table (default {DefaultInterval.TotalMilliseconds:0})",
            HelpName = "N",
            CustomParser = r =>
            {
                var (value, ok) = CliValues.Single(r, text => CliValues.ParseWhole("--interval-ms", text, 1, 60_000, "milliseconds"));
                return ok ? value : null;
            },
        };
        var web = new Option<bool>("--web") { Description = "serve a live timeline page on a loopback port instead (first line: serving http://127.0.0.1:NNNN/)" };
        var webAddress = new Option<System.Net.IPAddress?>("--web-address")
        {
            Description = "the loopback address to serve --web on (default 127.0.0.1; any non-loopback address is refused, and IPv6 off Windows, where .NET's HttpListener cannot serve it)",
            HelpName = "A",
            CustomParser = r =>
            {
                var text = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
                try
                {
                    return Live.ObserveWebServer.ParseLoopback(text);
                }
                catch (ArgumentException e)
                {
                    r.AddError(e.Message);
                    return null;
                }
            },
        };
        var command = new Command("observe", "print each TCP state change of every socket on a port (any program's), until --seconds or Ctrl+C")
        {
            port, seconds, json, interval, web, webAddress,
        };
        command.SetAction(async (parsed, token) =>
        {
            var chosen = parsed.GetValue(interval) is { } every ? TimeSpan.FromMilliseconds(every) : DefaultInterval;
            if (parsed.GetValue(web))
            {
                // The live page is its own class; the command only hands it the port, the interval and the loopback address.
                // --seconds bounds the live view too (it was ignored, and a scripted `observe --web --seconds 5` never ended).
                using var until = CancellationTokenSource.CreateLinkedTokenSource(token);
                if (parsed.GetValue(seconds) is { } limit)
                {
                    until.CancelAfter(limit);
                }
                await new Live.ObserveWebServer(parsed.GetValue(port)!.Value, chosen, parsed.GetValue(webAddress)).RunAsync(context.Out, until.Token).ConfigureAwait(false);
                return 0;
            }
            var options = new ObserveOptions(
                parsed.GetValue(port)!.Value,
                parsed.GetValue(seconds),
                parsed.GetValue(json),
                parsed.GetValue(interval) is { } ms ? TimeSpan.FromMilliseconds(ms) : DefaultInterval);
            return await new PortObserver(context.Out).RunAsync(options, token).ConfigureAwait(false);
        });
        return command;
    }
}

/// <summary>Polls the OS's TCP table for one port and prints each change as a line (text or JSON) until the time is up or the token is cancelled.</summary>
public sealed class PortObserver(TextWriter output)
{
    /// <summary>Watches until the duration ends or Ctrl+C; returns 0 (Ctrl+C is the normal end of an open-ended watch).</summary>
    public async Task<int> RunAsync(ObserveOptions options, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (options.Duration is { } limit)
        {
            stop.CancelAfter(limit);
        }

        var watch = SocketWatch.ForPort(options.Port);
        if (!options.Json)
        {
            var until = options.Duration is { } d ? $" for {d.TotalSeconds:0.###} s" : " (Ctrl+C stops)";
            output.WriteLine($"watching TCP port {options.Port} every {options.Interval.TotalMilliseconds:0} ms{until}; times are ms since start");
        }

        var polls = 0;
        var clock = Stopwatch.StartNew();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var change in watch.Poll())
                {
                    output.WriteLine(options.Json ? change.ToJson() : change.ToString());
                }

                output.Flush();
                polls++;
                await Task.Delay(options.Interval, stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        if (!options.Json)
        {
            output.WriteLine($"stopped after {clock.Elapsed.TotalSeconds:0.0} s, {polls} reads of the TCP table");
        }

        return 0;
    }
}
