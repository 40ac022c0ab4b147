using System.Diagnostics;
using System.Text;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Events;

namespace Course.Runner.Kernel;

/// <summary>The runner's side of one kernel worker process: start it, send it kernel commands, read its kernel events, end it.</summary>
/// <remarks>Not the package's StdIoKernelConnector: it starts the process itself (no warm spare, no parent watch, no tree kill of
/// what a cell started), and its proxy kernel has no way to end a cell at a deadline. The wire format is the package's (<see cref="WorkerProtocol"/>).</remarks>
internal sealed class WorkerProcess : IDisposable
{
    private static readonly object SpareGate = new();
    private static WorkerProcess? _spare;
    private static IDisposable? _exitHook;
    // Every worker not yet disposed: a second Ctrl+C ends the runner through Environment.Exit, which runs no finally
    // block, so the exit hook ends these (the busy one and the spare) with the processes they started.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<WorkerProcess, byte> Live = new();

    /// <summary>The environment variable that names the runner in every worker and what the worker starts.</summary>
    public const string RunnerVariable = ParentWatch.Variable;

    /// <summary>The programs (file names on a command line) of the processes a run starts: the runner/worker, child servers and the lab, the Kestrel probe.</summary>
    public static readonly IReadOnlyList<string> CoursePrograms = ["course.dll", "AddressInUse.dll", "KestrelProbe.dll"];

    private readonly Process _process;
    private readonly Channel<KernelEvent> _events = Channel.CreateUnbounded<KernelEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly StringBuilder _stderrTail = new();
    private int _killed;

    private WorkerProcess(Process process)
    {
        _process = process;
        _ = Task.Run(ReadEventsAsync);
        _ = Task.Run(ReadErrorsAsync);
    }

    /// <summary>The process id (for tests that check nothing is left behind).</summary>
    public int ProcessId => _process.Id;

    /// <summary>True once the process has ended and the OS has reported it (its output may end a moment before).</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Waits until the OS reports the process ended; the end of its output comes a moment earlier (a dying process's pipes close before it is reaped).</summary>
    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>Takes the warmed-up spare worker (or starts one) and, when <paramref name="startSpare"/>, starts the next spare, so the next notebook does not wait for kernel start-up.</summary>
    /// <param name="startSpare">False for the last notebook of a run: a spare nobody takes only costs a core for seconds.</param>
    public static WorkerProcess Take(bool startSpare = true)
    {
        WorkerProcess? taken;
        lock (SpareGate)
        {
            taken = _spare;
            _spare = null;
            // A spare must not outlive the runner (its standard input closing also ends it; this is quicker).
            _exitHook ??= AddressInUse.Child.ExitHooks.AtExit(() =>
            {
                DiscardSpare();
                foreach (var worker in Live.Keys)
                {
                    worker.KillAtExit();
                }
            });
        }

        if (taken is null || taken.HasExited)
        {
            taken?.Dispose();
            taken = Start();
        }

        if (!startSpare)
        {
            return taken;
        }

        var next = Start();
        lock (SpareGate)
        {
            (_spare, next) = (next, _spare);
        }

        next?.Dispose();
        return taken;
    }

    /// <summary>Ends the spare worker, if there is one.</summary>
    public static void DiscardSpare()
    {
        WorkerProcess? spare;
        lock (SpareGate)
        {
            spare = _spare;
            _spare = null;
        }

        spare?.Dispose();
    }

    /// <summary>Sends one command; its events come back through <see cref="ReadAsync"/>.</summary>
    public async Task SendAsync(KernelCommand command, CancellationToken cancellationToken)
    {
        var line = WorkerProtocol.CommandLine(command);
        await _process.StandardInput.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
        await _process.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the worker's standard input: it lets the commands already sent finish, then exits by itself.</summary>
    public void EndInput() => _process.StandardInput.Close();

    /// <summary>Waits for the next event of any command; null when the worker ended (see <see cref="DescribeExit"/>).</summary>
    public async Task<KernelEvent?> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _events.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    /// <summary>
    /// Sends <paramref name="command"/> and yields the events produced for it, ending after its own
    /// <see cref="CommandSucceeded"/> or <see cref="CommandFailed"/>, or early when the worker ended.
    /// </summary>
    /// <remarks>Events of earlier commands (a timer that updates a display after its cell ended) are dropped, not given to this one.</remarks>
    public async IAsyncEnumerable<KernelEvent> RunAsync(KernelCommand command, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await SendAsync(command, cancellationToken).ConfigureAwait(false);
        while (await ReadAsync(cancellationToken).ConfigureAwait(false) is { } e)
        {
            if (!WorkerProtocol.BelongsTo(e, command))
            {
                continue;
            }

            yield return e;
            if (WorkerProtocol.Completes(e, command))
            {
                yield break;
            }
        }
    }

    /// <summary>Ends the notebook's kernel in the worker and waits for its next fresh kernel; null when the worker may serve another notebook, else why not.</summary>
    /// <remarks>Only after a notebook whose cells all finished by themselves (succeeded or threw): after a hang, a crash or a
    /// cancel the worker has been killed already.</remarks>
    public async Task<string?> CloseChapterAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        // A worker that crashes while closing may leave its standard output open in a child the notebook started, so its exit,
        // not the end of its output, is what says it ended.
        using var stopWatching = new CancellationTokenSource();
        _ = _process.WaitForExitAsync(stopWatching.Token).ContinueWith(exit =>
        {
            try
            {
                if (exit.IsCompletedSuccessfully)
                {
                    deadline.Cancel();
                }
            }
            catch (ObjectDisposedException)
            {
                // The close was over already.
            }
        }, TaskScheduler.Default);
        try
        {
            foreach (KernelCommand command in new KernelCommand[] { new CloseNotebook(), new RequestKernelInfo() })
            {
                KernelEvent? completion = null;
                await foreach (var e in RunAsync(command, deadline.Token).ConfigureAwait(false))
                {
                    completion = WorkerProtocol.Completes(e, command) ? e : completion;
                }

                switch (completion)
                {
                    case CommandSucceeded:
                        continue;
                    case CommandFailed failed:
                        return failed.Message; // What the notebook left in the worker (ChapterIsolation).
                    default:
                        return DescribeExit();
                }
            }

            return null;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // A broken pipe means the worker is ending, but it may not be reaped yet: DescribeExit waits for that.
            return e is IOException || _process.HasExited ? DescribeExit() : $"the worker did not close the notebook within {timeout.TotalSeconds:0} s";
        }
        finally
        {
            stopWatching.Cancel();
        }
    }

    /// <summary>Says how the worker ended: exit code and the last lines it wrote to standard error.</summary>
    public string DescribeExit()
    {
        var code = _process.WaitForExit(2000) ? _process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : "unknown";
        string tail;
        lock (_stderrTail)
        {
            tail = _stderrTail.ToString().Trim();
        }

        var why = code == "137"
            ? " — killed by SIGKILL, most often the OS's out-of-memory killer (see `dmesg | grep -i 'out of memory'`). Fix: make the cell hold less in memory, or free memory and run again"
            : "";
        return tail.Length == 0 ? $"the kernel worker process ended (exit code {code}{why})" : $"the kernel worker process ended (exit code {code}{why}): {tail}";
    }

    /// <summary>Ends the worker and every process it started (child servers of an experiment), at once, never stopping one first.</summary>
    public void Kill()
    {
        if (Interlocked.Exchange(ref _killed, 1) != 0)
        {
            return;
        }

        AddressInUse.Child.ProcessTree.Kill(_process);
    }

    /// <summary>Ends the worker and its tree at process exit, also when another thread's kill is under way.</summary>
    /// <remarks>The kill sends SIGKILL only (root first, then what it started), so a runner that exits in the middle of one
    /// leaves no stopped process: whatever was not reached yet is running and follows its own parent watch.</remarks>
    internal void KillAtExit()
    {
        Interlocked.Exchange(ref _killed, 1);
        AddressInUse.Child.ProcessTree.Kill(_process);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Kill();
        _process.WaitForExit(2000);
        Live.TryRemove(this, out _);
        _process.Dispose();
    }

    private static WorkerProcess Start()
    {
        var (fileName, prefix) = CommandLineOfThisAssembly();
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in prefix)
        {
            info.ArgumentList.Add(argument);
        }

        info.ArgumentList.Add(WorkerProtocol.Verb);
        // No telemetry banner or first-run work in a process nobody sees.
        info.Environment["DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT"] = "1";
        // No clr-debug-pipe-* or dotnet-diagnostic-* files in /tmp (the worker's children inherit this too).
        AddressInUse.Child.ChildEnvironment.Apply(info);
        // The worker ends itself when this process is gone, also after a SIGKILL that runs none of our handlers.
        info.Environment[ParentWatch.Variable] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var process = Process.Start(info) ?? throw new CourseException("Could not start the kernel worker process. Fix: check that the dotnet host is on PATH.");
        process.StandardInput.AutoFlush = false;
        var worker = new WorkerProcess(process);
        Live[worker] = 0;
        return worker;
    }

    private static (string FileName, string[] Prefix) CommandLineOfThisAssembly()
    {
        // The worker is this same assembly (course.dll) run by the dotnet host, also when the caller is a test host.
        var assembly = typeof(WorkerProcess).Assembly.Location;
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (string.IsNullOrEmpty(host) || !File.Exists(host))
        {
            var self = Environment.ProcessPath;
            host = self is not null && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase)
                ? self
                : "dotnet";
        }

        var runtimeConfig = Path.ChangeExtension(assembly, ".runtimeconfig.json");
        return File.Exists(runtimeConfig)
            ? (host, ["exec", "--runtimeconfig", runtimeConfig, assembly])
            : (host, [assembly]);
    }

    private async Task ReadEventsAsync()
    {
        try
        {
            var reader = _process.StandardOutput;
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                KernelEvent? e;
                try
                {
                    e = WorkerProtocol.ParseEventLine(line);
                }
                catch (Exception error) when (error is JsonException or ArgumentException or KeyNotFoundException or InvalidOperationException)
                {
                    // An envelope this side cannot read (an event type it does not know): the events after it still count.
                    lock (_stderrTail)
                    {
                        _stderrTail.AppendLine($"unreadable event envelope: {error.Message}");
                    }

                    continue;
                }

                if (e is not null)
                {
                    await _events.Writer.WriteAsync(e).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The pipe broke because the process was ended: the channel's completion says so.
        }
        finally
        {
            _events.Writer.TryComplete();
        }
    }

    private async Task ReadErrorsAsync()
    {
        try
        {
            var reader = _process.StandardError;
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                lock (_stderrTail)
                {
                    _stderrTail.AppendLine(line);
                    if (_stderrTail.Length > 4000)
                    {
                        _stderrTail.Remove(0, _stderrTail.Length - 4000);
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // Ended.
        }
    }
}
