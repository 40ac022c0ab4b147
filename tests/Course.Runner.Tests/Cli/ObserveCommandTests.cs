using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Course.Runner.Cli;
using static Course.TestUtilities.ForeignProcesses;

namespace Course.Runner.Tests.Cli;

public sealed class ObserveCommandTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    [Theory]
    [InlineData("0")]
    [InlineData("65536")]
    [InlineData("http")]
    [InlineData(" 80")]
    [InlineData("+5")]
    [InlineData("80 ")]
    public async Task Observe_BadPort_ExitCode2WithClearMessage(string port)
    {
        var output = new LockedWriter();
        var error = new LockedWriter();

        var code = await CommandLine.RunAsync(["observe", "--port", port, "--seconds", "1"], new CommandContext(output, error, Directory.GetCurrentDirectory(), CancellationToken.None));

        Assert.Equal(CommandLine.UsageExitCode, code);
        Assert.Contains($"--port {CliValues.Quote(port)} is not a port", error.Text);
        Assert.DoesNotContain("internal error", error.Text);
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("1e9")]
    [InlineData("5000000")]
    [InlineData("Infinity")]
    [InlineData("-1")]
    [InlineData("0")]
    public async Task Observe_SecondsNotAUsableDuration_ExitCode2WithClearMessage(string seconds)
    {
        var error = new LockedWriter();

        var code = await CommandLine.RunAsync(["observe", "--port", "9", "--seconds", seconds], new CommandContext(new LockedWriter(), error, Directory.GetCurrentDirectory(), CancellationToken.None));

        Assert.Equal(CommandLine.UsageExitCode, code);
        Assert.Contains($"--seconds {seconds}", error.Text);
        Assert.DoesNotContain("internal error", error.Text);
        Assert.DoesNotContain("   at ", error.Text);
    }

    [Fact]
    public async Task Observe_NoPort_ExitCode2()
    {
        var error = new LockedWriter();

        var code = await CommandLine.RunAsync(["observe", "--json"], new CommandContext(new LockedWriter(), error, Directory.GetCurrentDirectory(), CancellationToken.None));

        Assert.Equal(CommandLine.UsageExitCode, code);
        Assert.Contains("needs --port", error.Text);
    }

    [Fact]
    public void DefaultCommands_IncludeObserve()
    {
        Assert.Contains(CommandLine.DefaultCommands(), c => c.Name == "observe");
    }

    [Fact]
    public async Task Observe_SecondsElapse_StopsWithExitCode0()
    {
        var output = new LockedWriter();

        var code = await CommandLine.RunAsync(["observe", "--port", "9", "--seconds", "0.2"], new CommandContext(output, new LockedWriter(), ".", CancellationToken.None), [new ObserveCommand()]);

        Assert.Equal(0, code);
        Assert.Contains("stopped after", output.Text);
    }

    /// <summary>
    /// A connection the course did not create (netcat's listener and client) is watched by observe, and at two settled
    /// moments (both ends ESTABLISHED; after the client is killed, its end in TIME_WAIT) observe's view equals ss -tan's.
    /// </summary>
    [RealPartsFact(RealPart.Netcat, RealPart.IpRoute, LinuxOnly = true)]
    public async Task Observe_NetcatConnectionOnLoopback_AgreesWithSs()
    {
        var nc = Netcat();
        var ss = FindOnPath("ss") ?? throw new InvalidOperationException("ss is not installed: install iproute2 (`apt-get install iproute2`).");

        var output = new LockedWriter();
        using var stop = new CancellationTokenSource();
        Process? listener = null;
        Process? client = null;
        Task<int>? observe = null;
        try
        {
            int port = 0;
            // The OS picks a free port; another program could take it before nc listens, so try again on a fresh one.
            for (var attempt = 0; attempt < 5 && listener is null; attempt++)
            {
                port = FreeLoopbackPort();
                var candidate = Start(nc, "-l", "127.0.0.1", port.ToString());
                if (await TryUntilAsync(() => Ss(ss, port).Contains($"LISTEN 127.0.0.1:{port} 0.0.0.0:*"), TimeSpan.FromSeconds(5)))
                {
                    listener = candidate;
                }
                else
                {
                    Stop(candidate);
                }
            }
            Assert.NotNull(listener);

            observe = CommandLine.RunAsync(["observe", "--port", port.ToString(), "--json", "--interval-ms", "2"], new CommandContext(output, new LockedWriter(), ".", stop.Token), [new ObserveCommand()]);
            client = Start(nc, "127.0.0.1", port.ToString());

            await AssertAgreeAsync(ss, port, output, view => view.Count(l => l.StartsWith("ESTABLISHED ")) == 2);
            Stop(client);
            await AssertAgreeAsync(ss, port, output, view => view.Any(l => l.StartsWith("TIME_WAIT ")) && !view.Any(l => l.StartsWith("ESTABLISHED ")));

            stop.Cancel();
            Assert.Equal(0, await observe);
            var states = ObservedView(output.Text, keepClosed: true);
            Assert.Contains(states, l => l.StartsWith("CLOSED "));
        }
        finally
        {
            stop.Cancel();
            if (observe is not null)
            {
                await observe;
            }
            Stop(client);
            Stop(listener);
        }
    }

    private static async Task AssertAgreeAsync(string ss, int port, LockedWriter output, Func<IReadOnlyList<string>, bool> settled)
    {
        IReadOnlyList<string> seenBySs = [];
        IReadOnlyList<string> seenByObserve = [];
        // The two tools read the table at slightly different moments: poll until both show the same settled picture.
        var agreed = await TryUntilAsync(() =>
        {
            seenBySs = Ss(ss, port);
            seenByObserve = ObservedView(output.Text, keepClosed: false);
            return settled(seenBySs) && seenBySs.SequenceEqual(seenByObserve);
        }, Deadline);
        Assert.True(agreed, $"observe and ss -tan disagree on port {port}.\nss:\n  {string.Join("\n  ", seenBySs)}\nobserve:\n  {string.Join("\n  ", seenByObserve)}");
    }

    /// <summary>Replays observe's JSON lines into the latest state per socket, as sorted "STATE local remote" lines.</summary>
    private static IReadOnlyList<string> ObservedView(string jsonLines, bool keepClosed)
    {
        var latest = new Dictionary<string, string>();
        foreach (var line in jsonLines.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var change = JsonNode.Parse(line)!;
            latest[$"{change["local"]} {change["remote"]}"] = (string)change["to"]!;
        }
        return latest
            .Where(kv => keepClosed || kv.Value != "CLOSED")
            .Select(kv => $"{kv.Value} {kv.Key.Replace("0.0.0.0:0", "0.0.0.0:*")}")
            .OrderBy(l => l, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>ss -tan for the port, as sorted "STATE local remote" lines with the course's state names.</summary>
    private static IReadOnlyList<string> Ss(string ss, int port)
    {
        var text = Run(ss, "-tan", $"sport = :{port} or dport = :{port}");
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 5)
            .Select(f =>
            {
                var state = f[0] switch
                {
                    "ESTAB" => "ESTABLISHED",
                    "SYN-SENT" => "SYN_SENT",
                    "SYN-RECV" => "SYN_RECEIVED",
                    "UNCONN" => "CLOSED",
                    var s => s.Replace('-', '_'),
                };
                return $"{state} {f[3].Replace("[::ffff:", "").Replace("]", "")} {f[4].Replace("[::ffff:", "").Replace("]", "")}";
            })
            .OrderBy(l => l, StringComparer.Ordinal)
            .ToList();
    }

    private static Task<bool> TryUntilAsync(Func<bool> condition, TimeSpan timeout) =>
        AddressInUse.Observation.Poll.TryUntilAsync(condition, timeout);

    /// <summary>A writer whose text can be read while another task writes to it.</summary>
    private sealed class LockedWriter : TextWriter
    {
        private readonly StringBuilder _text = new();

        public override Encoding Encoding => Encoding.UTF8;

        public string Text
        {
            get
            {
                lock (_text)
                {
                    return _text.ToString();
                }
            }
        }

        public override void Write(char value)
        {
            lock (_text)
            {
                _text.Append(value);
            }
        }

        public override void Write(string? value)
        {
            lock (_text)
            {
                _text.Append(value);
            }
        }

        public override void WriteLine(string? value)
        {
            lock (_text)
            {
                _text.Append(value).Append('\n');
            }
        }
    }
}
