using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Course.Runner.Tests.Faults;

/// <summary>A real `course` process (dotnet exec course.dll …) with its output captured, its process tree and sockets tracked, and POSIX signals to send.</summary>
public sealed class CourseProcess : IAsyncDisposable
{
    /// <summary>POSIX signal numbers (the same on Linux and macOS for these).</summary>
    public const int SigInt = 2, SigKill = 9, SigTerm = 15;

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly HashSet<int> _tree = [];
    private readonly HashSet<string> _socketInodes = [];
    private readonly HashSet<string> _foreignPeers = [];
    private readonly HashSet<int> _browsers = [];
    private readonly CancellationTokenSource _stopTracking = new();
    private readonly Task _tracking;

    private CourseProcess(Process process, string tempFolder)
    {
        _process = process;
        TempFolder = tempFolder;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _tracking = Task.Run(TrackAsync);
    }

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    /// <summary>The TMPDIR the process was given (private to it, so whatever it leaves there is visible).</summary>
    public string TempFolder { get; }

    /// <summary>Everything the process printed so far (stdout and stderr interleaved, line by line).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Every process seen in the tree below the course process while it ran (children, grandchildren).</summary>
    public IReadOnlyCollection<int> Descendants
    {
        get
        {
            lock (_tree)
            {
                return _tree.ToList();
            }
        }
    }

    /// <summary>The socket inodes the process tree held while it ran.</summary>
    public IReadOnlyCollection<string> SocketInodes
    {
        get
        {
            lock (_tree)
            {
                return _socketInodes.ToList();
            }
        }
    }

    /// <summary>Every socket to a non-loopback peer that a process of the tree held when it was sampled ("pid 123: udp 8.8.8.8:53").</summary>
    public IReadOnlyCollection<string> ForeignPeers
    {
        get
        {
            lock (_tree)
            {
                return _foreignPeers.ToList();
            }
        }
    }

    /// <summary>The processes of the tree that were the chart browser (their command line names its work folder).</summary>
    public IReadOnlyCollection<int> BrowserProcesses
    {
        get
        {
            lock (_tree)
            {
                return _browsers.ToList();
            }
        }
    }

    /// <summary>Starts `course` with the arguments; stdin is an open pipe that is never written (as under a CI runner).</summary>
    public static CourseProcess Start(string tempFolder, params string[] args) => Start(tempFolder, runtimeDiagnostics: false, args);

    /// <summary>Starts `course` as a person would, with the .NET runtime's diagnostics on (its files in TMPDIR), so what the course's own children leave there shows.</summary>
    public static CourseProcess StartAsAPersonWould(string tempFolder, params string[] args) => Start(tempFolder, runtimeDiagnostics: true, args);

    private static CourseProcess Start(string tempFolder, bool runtimeDiagnostics, string[] args)
    {
        Directory.CreateDirectory(tempFolder);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "course.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["TMPDIR"] = tempFolder;
        if (!runtimeDiagnostics)
        {
            // No diagnostics IPC socket of the runner itself in TMPDIR: the tests that do not count TMPDIR's entries need not see it.
            start.Environment["DOTNET_EnableDiagnostics"] = "0";
        }
        else
        {
            start.Environment.Remove("DOTNET_EnableDiagnostics");
        }

        start.Environment["CI"] = "true";
        return new CourseProcess(Process.Start(start)!, tempFolder);
    }

    // A deadline here is a stall window, not wall time: on a machine at load 80 (2 cores, seven engineers' test runs) a runner
    // that needed 10 s of CPU took minutes, and 90 s of wall time failed 9 fault tests of one suite run that were only slow
    // (docs/benchmarks.md). A runner that hangs uses no CPU and prints nothing; one that spins still ends at the ceiling.
    private const int CeilingFactor = 10;

    // The tree's CPU ticks plus what it printed: either growing means the run is moving.
    private long Progress() => Course.TestUtilities.ProgressWatch.TreeCpuTicks(_process.Id) + Output.Length;

    /// <summary>Waits until the output contains the text; fails with the output when the process stalls for the deadline (no CPU used, nothing printed) or ends first.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan deadline)
    {
        await Course.TestUtilities.ProgressWatch.UntilAsync(() => Output.Contains(text, StringComparison.Ordinal) || _process.HasExited, Progress, deadline, deadline * CeilingFactor);
        if (_process.HasExited)
        {
            // Exited: WaitForExitAsync returns once the redirected output has been read to its end, so nothing printed is missed.
            await _process.WaitForExitAsync();
        }

        if (Output.Contains(text, StringComparison.Ordinal))
        {
            return;
        }

        throw new Xunit.Sdk.XunitException(_process.HasExited
            ? $"course ended (exit {_process.ExitCode}) before printing \"{text}\". Output:\n{Output}"
            : $"course did not print \"{text}\": its process tree used no CPU and printed nothing for {deadline.TotalSeconds} s (or ran {(deadline * CeilingFactor).TotalMinutes:0} min). Output:\n{Output}");
    }

    /// <summary>Sends a POSIX signal unless the course process has already ended (kill's ESRCH); returns whether it was sent.</summary>
    public bool TrySignal(int signal)
    {
        lock (_tree)
        {
            // One last look at the tree so a child started a moment ago is known before the signal.
            Snapshot();
        }

        if (signal == 2)
        {
            InheritedSignals.AssertSigintNotIgnored();
        }
        if (Kill(_process.Id, signal) == 0)
        {
            return true;
        }
        var errno = Marshal.GetLastPInvokeError();
        return errno == Esrch ? false : throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {errno}");
    }

    /// <summary>Sends a POSIX signal to the course process; fails when it has already ended.</summary>
    public void Signal(int signal)
    {
        if (!TrySignal(signal))
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Esrch} (the process has already ended)");
        }
    }

    // kill()'s "no such process".
    private const int Esrch = 3;

    /// <summary>Waits for the process to end and returns its exit code (128 + signal when a signal ended it); fails when it stalls for the deadline (no CPU used, nothing printed).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan deadline)
    {
        if (!await Course.TestUtilities.ProgressWatch.UntilAsync(() => _process.HasExited, Progress, deadline, deadline * CeilingFactor))
        {
            throw new Xunit.Sdk.XunitException($"course did not end: its process tree used no CPU and printed nothing for {deadline.TotalSeconds} s (or ran {(deadline * CeilingFactor).TotalMinutes:0} min). Output:\n{Output}");
        }

        _process.WaitForExit(); // drains the redirected output
        await _stopTracking.CancelAsync();
        await _tracking;
        return _process.ExitCode;
    }

    /// <summary>The processes of the tree that are still alive (zombies count as ended).</summary>
    public IReadOnlyList<string> LiveDescendants() => Descendants.Select(Describe).OfType<string>().ToList();

    /// <summary>The tracked socket inodes that still exist in the OS's TCP and UDP tables.</summary>
    public IReadOnlyList<string> LiveSockets()
    {
        var live = ProcTables.SocketInodes();
        return SocketInodes.Where(live.Contains).ToList();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        foreach (var pid in Descendants)
        {
            if (Describe(pid) is not null)
            {
                _ = Kill(pid, SigKill);
            }
        }

        await _stopTracking.CancelAsync();
        await _tracking.ConfigureAwait(false);
        _stopTracking.Dispose();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Append(line).Append('\n');
        }
    }

    private async Task TrackAsync()
    {
        while (!_stopTracking.IsCancellationRequested)
        {
            lock (_tree)
            {
                Snapshot();
            }

            try
            {
                await Task.Delay(25, _stopTracking.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Snapshot()
    {
        var parents = ProcTables.ParentOf();
        var frontier = new Queue<int>([_process.Id]);
        while (frontier.Count > 0)
        {
            var parent = frontier.Dequeue();
            foreach (var (pid, ppid) in parents)
            {
                if (ppid == parent && _tree.Add(pid))
                {
                    frontier.Enqueue(pid);
                }
                else if (ppid == parent)
                {
                    frontier.Enqueue(pid);
                }
            }
        }

        foreach (var pid in _tree.Append(_process.Id))
        {
            foreach (var inode in ProcTables.OpenSocketInodes(pid))
            {
                _socketInodes.Add(inode);
            }

            // Read in the process's own network namespace: a browser in a private one is measured there.
            foreach (var peer in SocketPeers.ForeignPeersOf(pid))
            {
                _foreignPeers.Add($"pid {pid}: {peer}");
            }

            if (!_browsers.Contains(pid) && CommandLineNames(pid, Course.Runner.Images.BrowserWorkFolders.Prefix))
            {
                _browsers.Add(pid);
            }
        }
    }

    private static bool CommandLineNames(int pid, string text)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Contains(text, StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string? Describe(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state is "Z" or "X" ? null : $"pid {pid} {stat[..(stat.LastIndexOf(')') + 1)]} state {state}";
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}

/// <summary>Reads Linux's /proc: parent of every process, a process's open sockets, the sockets that exist.</summary>
public static class ProcTables
{
    /// <summary>pid → parent pid for every process.</summary>
    public static IReadOnlyList<(int Pid, int Parent)> ParentOf()
    {
        var result = new List<(int, int)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                result.Add((pid, int.Parse(fields[1])));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                // The process ended while being read.
            }
        }

        return result;
    }

    /// <summary>"socket:[inode]" of every socket the process has open.</summary>
    public static IEnumerable<string> OpenSocketInodes(int pid) => SocketPeers.SocketInodesOf(pid);

    /// <summary>The inodes of every TCP and UDP socket that exists now (TIME_WAIT entries have inode 0 and belong to no one).</summary>
    public static HashSet<string> SocketInodes()
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6", "/proc/net/udp", "/proc/net/udp6" }.Where(File.Exists))
        {
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 9 && fields[9] != "0")
                {
                    inodes.Add(fields[9]);
                }
            }
        }

        return inodes;
    }
}
