using System.Diagnostics;
using AddressInUse.Child;

namespace Course.TestUtilities;

/// <summary>
/// Waits for a tool the tests start (a build, Wine) and ends it only when it stops making progress: neither its process tree's
/// CPU time nor its output grew for a whole window. A wall-time limit instead fails on a busy machine: the cold win-x64 publish
/// needs 27 s of CPU, which took 7 min 52 s of wall time at load average 80 on 2 cores (docs/benchmarks.md, suite runs).
/// </summary>
public static class ProgressWatch
{
    /// <summary>Waits for the process to exit; returns false (after killing its tree) when it made no progress for <paramref name="stalled"/>.</summary>
    /// <param name="process">The started process; its output should be read asynchronously by the caller.</param>
    /// <param name="stalled">How long the tree may use no CPU and print nothing before it counts as hung.</param>
    /// <param name="outputLength">The length of what the process has printed so far (its growth counts as progress).</param>
    public static async Task<bool> WaitForExitAsync(Process process, TimeSpan stalled, Func<long>? outputLength = null)
    {
        var lastCpu = -1L;
        var lastOutput = -1L;
        var lastProgress = Stopwatch.StartNew();
        while (!process.HasExited)
        {
            var cpu = TreeCpuTicks(process.Id);
            var output = outputLength?.Invoke() ?? 0;
            if (cpu != lastCpu || output != lastOutput)
            {
                (lastCpu, lastOutput) = (cpu, output);
                lastProgress.Restart();
            }
            else if (lastProgress.Elapsed > stalled)
            {
                ProcessTree.Kill(process);
                await process.WaitForExitAsync();
                return false;
            }

            try
            {
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(1));
            }
            catch (TimeoutException)
            {
            }
        }

        await process.WaitForExitAsync();
        return true;
    }

    /// <summary>
    /// Waits until <paramref name="done"/> holds; returns false when <paramref name="progress"/> (e.g. a tree's CPU ticks plus its
    /// output's length) did not change for <paramref name="stalled"/>, or when <paramref name="ceiling"/> of wall time passed
    /// (a process that spins without ever getting there).
    /// </summary>
    public static async Task<bool> UntilAsync(Func<bool> done, Func<long> progress, TimeSpan stalled, TimeSpan ceiling)
    {
        var last = progress();
        var lastProgress = Stopwatch.StartNew();
        var sampled = Stopwatch.StartNew();
        var total = Stopwatch.StartNew();
        while (!done())
        {
            // The tree is read from /proc once a second, not at every look at the condition: on a loaded machine that read costs.
            if (sampled.Elapsed >= TimeSpan.FromSeconds(1))
            {
                sampled.Restart();
                var now = progress();
                if (now != last)
                {
                    last = now;
                    lastProgress.Restart();
                }
                else if (lastProgress.Elapsed > stalled)
                {
                    return done();
                }
            }

            if (total.Elapsed > ceiling)
            {
                return done();
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }

        return true;
    }

    /// <summary>CPU clock ticks (user + system, with those of reaped children) of the process and its living descendants; off Linux, a changing value (no watchdog).</summary>
    public static long TreeCpuTicks(int root)
    {
        if (!OperatingSystem.IsLinux())
        {
            return Environment.TickCount64;
        }

        var total = 0L;
        foreach (var pid in ProcessTree.Descendants(root).Prepend(root))
        {
            try
            {
                // /proc/<pid>/stat: fields after the ")" that ends the command name; utime, stime, cutime, cstime are fields 14-17.
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                total += long.Parse(fields[11]) + long.Parse(fields[12]) + long.Parse(fields[13]) + long.Parse(fields[14]);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                // Ended meanwhile: its ticks moved to its parent's cutime/cstime.
            }
        }

        return total;
    }
}
