using System.Diagnostics;
using System.Globalization;

namespace AddressInUse.Child;

/// <summary>Ends a process and everything it started without ever stopping one of them first, and finds the course's orphans.</summary>
/// <remarks>
/// .NET's Process.Kill(entireProcessTree: true) on Unix sends SIGSTOP to each process of the tree, then SIGKILL: a caller killed
/// between the two leaves a stopped process (state T) that no watchdog of its own can end. Here the root gets SIGKILL first
/// (a dead process forks nothing more), then every descendant found before, each checked by its start time against pid reuse.
/// A process started in between has its own parent watch (stdin or the runner's pid) and follows on its own.
/// PR_SET_PDEATHSIG is not used: it fires when the parent *thread* that forked exits, and .NET starts processes from pool threads.
/// </remarks>
public static class ProcessTree
{
    private const int SigKill = 9;

    /// <summary>SIGKILLs the process, then its descendants (Linux; elsewhere .NET's own tree kill); a process already gone is no error.</summary>
    public static void Kill(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        if (!OperatingSystem.IsLinux())
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
            {
                // It ended on its own meanwhile.
            }

            return;
        }

        int root;
        try
        {
            if (process.HasExited)
            {
                return;
            }

            root = process.Id;
        }
        catch (InvalidOperationException)
        {
            return;
        }

        Kill(root);
    }

    /// <summary>SIGKILLs the process with this id, then the descendants it had (Linux only).</summary>
    public static void Kill(int root)
    {
        var table = Snapshot();
        var descendants = DescendantsOf(root, table);
        if (table.TryGetValue(root, out var self))
        {
            SendKill(root, self.Start);
        }

        foreach (var pid in descendants)
        {
            SendKill(pid, table[pid].Start);
        }
    }

    /// <summary>The ids of the process's descendants, parents before children (Linux, from /proc).</summary>
    public static IReadOnlyList<int> Descendants(int root) => DescendantsOf(root, Snapshot());

    /// <summary>
    /// Kills every process that carries <paramref name="variable"/> in its environment (a runner's pid) while that runner is not
    /// among its ancestors any more, and whose command line names one of <paramref name="programs"/>: left by a runner that was
    /// killed, and identifiable as the course's. Linux only.
    /// </summary>
    /// <remarks>The command line matters: chapter 11 orphans a python3 child on purpose while its run is alive.</remarks>
    /// <returns>The ids killed.</returns>
    public static IReadOnlyList<int> SweepOrphans(string variable, IReadOnlyList<string> programs)
    {
        var killed = new List<int>();
        if (!OperatingSystem.IsLinux())
        {
            return killed;
        }

        var table = Snapshot();
        var prefix = variable + "=";
        foreach (var (pid, entry) in table)
        {
            if (pid == Environment.ProcessId || EnvironmentValue(pid, prefix) is not { } value
                || !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var runner))
            {
                continue;
            }

            if (!HasAncestor(pid, runner, table) && CommandLineNames(pid, programs) && SendKill(pid, entry.Start))
            {
                killed.Add(pid);
            }
        }

        return killed;
    }

    private static bool HasAncestor(int pid, int ancestor, IReadOnlyDictionary<int, (int Parent, long Start)> table)
    {
        var seen = new HashSet<int>();
        for (var p = pid; table.TryGetValue(p, out var entry) && seen.Add(p);)
        {
            if (entry.Parent == ancestor)
            {
                return true;
            }

            p = entry.Parent;
        }

        return false;
    }

    private static bool CommandLineNames(int pid, IReadOnlyList<string> programs)
    {
        try
        {
            var arguments = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            return arguments.Any(a => programs.Any(p => Path.GetFileName(a).Equals(p, StringComparison.Ordinal)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string? EnvironmentValue(int pid, string prefix)
    {
        try
        {
            // NUL-separated NAME=value pairs; readable for our own user's processes only, which is all the sweep may touch.
            foreach (var entry in File.ReadAllText($"/proc/{pid}/environ").Split('\0'))
            {
                if (entry.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return entry[prefix.Length..];
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone, or another user's.
        }

        return null;
    }

    private static List<int> DescendantsOf(int root, IReadOnlyDictionary<int, (int Parent, long Start)> table)
    {
        var children = table.GroupBy(p => p.Value.Parent).ToDictionary(g => g.Key, g => g.Select(p => p.Key).ToList());
        var order = new List<int>();
        var frontier = new Queue<int>([root]);
        while (frontier.Count > 0)
        {
            foreach (var child in children.GetValueOrDefault(frontier.Dequeue()) ?? [])
            {
                if (child != root && !order.Contains(child))
                {
                    order.Add(child);
                    frontier.Enqueue(child);
                }
            }
        }

        return order;
    }

    /// <summary>pid → (parent pid, start time in clock ticks) of every process in /proc.</summary>
    private static Dictionary<int, (int Parent, long Start)> Snapshot()
    {
        var table = new Dictionary<int, (int, long)>();
        if (!OperatingSystem.IsLinux())
        {
            return table;
        }

        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && Stat(pid) is { } stat)
            {
                table[pid] = stat;
            }
        }

        return table;
    }

    private static (int Parent, long Start)? Stat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after "(comm)": state ppid ... with starttime the 20th of them (field 22 of proc(5)).
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (int.Parse(fields[1], CultureInfo.InvariantCulture), long.Parse(fields[19], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private static bool SendKill(int pid, long start) =>
        Stat(pid) is { } now && now.Start == start && Native.LibC.kill(pid, SigKill) == 0;
}
