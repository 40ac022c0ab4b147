using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using AddressInUse.Native;

namespace AddressInUse.Observation;

/// <summary>How fast the sampler can read the OS's TCP table, and what it costs, with a given number of unrelated entries present.</summary>
/// <param name="TimeWaitEntries">Unrelated TIME_WAIT entries created on loopback before measuring.</param>
/// <param name="TableRows">Rows in the whole TCP table during the measurement (first read).</param>
/// <param name="Polls">Reads completed back to back.</param>
/// <param name="Seconds">Wall-clock seconds measured.</param>
/// <param name="CpuSeconds">Process CPU seconds spent meanwhile.</param>
public sealed record SamplerBenchmarkResult(int TimeWaitEntries, int TableRows, int Polls, double Seconds, double CpuSeconds)
{
    /// <summary>Reads per second with no pause between them: the sampler's ceiling.</summary>
    public double PollsPerSecond => Polls / Seconds;

    /// <summary>Milliseconds per read: the smallest sampling interval that can hold.</summary>
    public double MsPerPoll => Seconds * 1000 / Polls;

    /// <summary>CPU used, as a share of one core.</summary>
    public double CpuShareOfOneCore => CpuSeconds / Seconds;

    /// <summary>One table row of the benchmark.</summary>
    public override string ToString() => FormattableString.Invariant(
        $"{TimeWaitEntries,6} TIME_WAIT | {TableRows,6} rows | {PollsPerSecond,8:0} polls/s | {MsPerPoll,7:0.000} ms/poll | CPU {CpuShareOfOneCore * 100,5:0}% of one core");
}

/// <summary>Measures the sampler's read rate with 0, 1 000 or 10 000 unrelated TIME_WAIT entries in the table.</summary>
public static class SamplerBenchmark
{
    /// <summary>Creates the TIME_WAIT entries (server-closed loopback connections, left to expire), then reads the table back to back for the duration.</summary>
    public static async Task<SamplerBenchmarkResult> MeasureAsync(int timeWaitEntries, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        if (timeWaitEntries is < 0 or > 10_000)
        {
            throw new ArgumentOutOfRangeException(nameof(timeWaitEntries), timeWaitEntries, "Use 0 to 10 000 entries: the load stays bounded and far from the ephemeral port range.");
        }
        await CreateTimeWaitAsync(timeWaitEntries, cancellationToken).ConfigureAwait(false);
        var rows = TcpTable.Read().Count;
        // Filter on a port nobody uses, as an experiment's sampler does: every row is still parsed.
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var polls = 0;
        while (clock.Elapsed < duration)
        {
            cancellationToken.ThrowIfCancellationRequested();
            TcpTable.Read(e => e.Local.Port == 1 || e.Remote.Port == 1);
            polls++;
        }
        var seconds = clock.Elapsed.TotalSeconds;
        process.Refresh();
        return new SamplerBenchmarkResult(timeWaitEntries, rows, polls, seconds, (process.TotalProcessorTime - cpuBefore).TotalSeconds);
    }

    /// <summary>Milliseconds per one-port read of the table, back to back for the duration, through the given reader.</summary>
    public static double MsPerRead(Func<int> read, TimeSpan duration, out int rows)
    {
        rows = read();
        var clock = Stopwatch.StartNew();
        var reads = 0;
        while (clock.Elapsed < duration)
        {
            read();
            reads++;
        }
        return clock.Elapsed.TotalMilliseconds / reads;
    }

    /// <summary>The process's CPU use (share of one core) while a sampler watches one port at its default interval for the duration.</summary>
    public static async Task<double> CpuAtDefaultIntervalAsync(int port, TimeSpan duration)
    {
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var before = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await using (TcpSampler.ForPorts(new Timeline(), new[] { port }))
        {
            await Task.Delay(duration).ConfigureAwait(false);
        }
        process.Refresh();
        return (process.TotalProcessorTime - before).TotalSeconds / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Creates that many unrelated TIME_WAIT entries on loopback (server-closed connections), left to expire.</summary>
    public static Task CreateUnrelatedTimeWaitAsync(int count, CancellationToken cancellationToken = default) => CreateTimeWaitAsync(count, cancellationToken);

    private static async Task CreateTimeWaitAsync(int count, CancellationToken cancellationToken)
    {
        if (count == 0)
        {
            return;
        }
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(512);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        for (var i = 0; i < count; i++)
        {
            await LoopbackServer.ServerClosesFirstAsync(listener, cancellationToken).ConfigureAwait(false);
        }
        // No wait for the full count: on a busy machine the first entries may already expire (60 s on Linux) before the last is born.
    }
}
