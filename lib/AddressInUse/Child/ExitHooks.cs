using System.Runtime.InteropServices;

namespace AddressInUse.Child;

/// <summary>
/// The process's one registry of what must happen when it ends or is told to stop: every child process, browser and temp
/// folder the lab or the runner starts is ended from here, on a normal exit, <see cref="Environment.Exit(int)"/>, Ctrl+C, SIGTERM or SIGQUIT.
/// </summary>
/// <remarks>
/// One <see cref="AppDomain.ProcessExit"/> handler and one <see cref="PosixSignalRegistration"/> per signal, installed on first use, call the
/// hooks in the order they were added. A SIGKILL cannot be caught: for that, children watch their standard input or carry the runner's pid
/// (<see cref="ParentStdinWatch"/>, <see cref="ProcessTree.SweepOrphans"/>).
/// </remarks>
public static class ExitHooks
{
    private static readonly HookTable Table = new();
    private static readonly object Gate = new();
    // Kept for the life of the process: a registration that is disposed or collected stops delivering its signal.
    private static readonly Dictionary<PosixSignal, PosixSignalRegistration?> Registrations = [];
    private static bool _exitHandlerInstalled;

    /// <summary>The signals that ask a program to stop: Ctrl+C and SIGTERM.</summary>
    public static IReadOnlyList<PosixSignal> StopSignals { get; } = [PosixSignal.SIGINT, PosixSignal.SIGTERM];

    /// <summary>Runs <paramref name="action"/> when the process exits (normally or through <see cref="Environment.Exit(int)"/>) unless the returned handle was disposed first.</summary>
    public static IDisposable AtExit(Action action)
    {
        lock (Gate)
        {
            if (!_exitHandlerInstalled)
            {
                AppDomain.CurrentDomain.ProcessExit += (_, _) => Table.RunAtExit();
                _exitHandlerInstalled = true;
            }
        }

        return Table.AtExit(action);
    }

    /// <summary>
    /// Calls <paramref name="handler"/> on each of <paramref name="signals"/> until the returned handle is disposed; a handler that sets
    /// <see cref="PosixSignalContext.Cancel"/> keeps the process alive, otherwise the signal's default (ending the process) follows.
    /// </summary>
    /// <remarks>A signal the platform cannot deliver (SIGQUIT on Windows) is passed over.</remarks>
    public static IDisposable OnSignals(IEnumerable<PosixSignal> signals, Action<PosixSignalContext> handler)
    {
        var distinct = signals.Distinct().ToList();
        lock (Gate)
        {
            foreach (var signal in distinct.Where(s => !Registrations.ContainsKey(s)))
            {
                Registrations[signal] = TryRegister(signal);
            }
        }

        return Table.OnSignals(distinct, handler);
    }

    private static PosixSignalRegistration? TryRegister(PosixSignal signal)
    {
        try
        {
            return PosixSignalRegistration.Create(signal, Table.Dispatch);
        }
        catch (PlatformNotSupportedException)
        {
            return null;
        }
    }
}

/// <summary>The hooks of <see cref="ExitHooks"/>, apart from the process's handlers (so tests can run a table of their own).</summary>
internal sealed class HookTable
{
    private readonly object _gate = new();
    private readonly List<Hook> _atExit = [];
    private readonly List<(PosixSignal Signal, Hook Hook)> _onSignal = [];

    /// <summary>Adds an exit hook; disposing the handle removes it.</summary>
    public IDisposable AtExit(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var hook = new Hook(action, this);
        lock (_gate)
        {
            _atExit.Add(hook);
        }

        return hook;
    }

    /// <summary>Adds a handler for the signals; disposing the handle removes it.</summary>
    public IDisposable OnSignals(IReadOnlyList<PosixSignal> signals, Action<PosixSignalContext> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var hook = new Hook(handler, this);
        lock (_gate)
        {
            _onSignal.AddRange(signals.Select(s => (s, hook)));
        }

        return hook;
    }

    /// <summary>Runs every exit hook, in the order they were added; one that throws does not keep the later ones from running.</summary>
    public void RunAtExit()
    {
        Hook[] hooks;
        lock (_gate)
        {
            hooks = [.. _atExit];
        }

        foreach (var hook in hooks)
        {
            // The process is going down and nobody could report a failure: the next hook's child or folder must still be ended.
            hook.Invoke<Action>(a => a());
        }
    }

    /// <summary>Calls the handlers of the context's signal, in the order they were added; one that throws does not keep the later ones from running.</summary>
    public void Dispatch(PosixSignalContext context)
    {
        Hook[] hooks;
        lock (_gate)
        {
            hooks = _onSignal.Where(h => h.Signal == context.Signal).Select(h => h.Hook).ToArray();
        }

        foreach (var hook in hooks)
        {
            hook.Invoke<Action<PosixSignalContext>>(h => h(context));
        }
    }

    private void Remove(Hook hook)
    {
        lock (_gate)
        {
            _atExit.Remove(hook);
            _onSignal.RemoveAll(h => ReferenceEquals(h.Hook, hook));
        }
    }

    /// <summary>One added hook; disposing it removes it from its table.</summary>
    private sealed class Hook(Delegate callback, HookTable table) : IDisposable
    {
        private int _removed;

        public void Invoke<T>(Action<T> invoke)
            where T : Delegate
        {
            if (Volatile.Read(ref _removed) != 0)
            {
                return;
            }

            try
            {
                invoke((T)callback);
            }
            catch (Exception)
            {
                // Deliberately swallowed: see RunAtExit and Dispatch.
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _removed, 1) == 0)
            {
                table.Remove(this);
            }
        }
    }
}
