using System.Diagnostics;
using System.Runtime.InteropServices;
using PuppeteerSharp;

namespace Course.Runner.Images;

/// <summary>
/// One headless Chromium-family browser, driven by PuppeteerSharp, started from the system's own executable
/// (never a download) with a private work folder; it is ended, and its folder deleted, on dispose, on
/// Ctrl+C/SIGTERM and on process exit, and a later start sweeps the folders of runs that were killed.
/// </summary>
public sealed class HeadlessBrowser : IAsyncDisposable
{
    /// <summary>How long starting the browser may take.</summary>
    public static TimeSpan LaunchTimeout { get; } = TimeSpan.FromSeconds(60);

    private static readonly object LiveLock = new();
    private static readonly List<HeadlessBrowser> Live = [];
    private static int _hooksInstalled;

    private readonly IBrowser _browser;
    private readonly Process? _process;
    private readonly object _endGate = new();
    private bool _ended;
    private int _disposed;

    private HeadlessBrowser(IBrowser browser, string executable, string workFolder)
    {
        _browser = browser;
        _process = browser.Process;
        Executable = executable;
        WorkFolder = workFolder;
    }

    /// <summary>The browser executable that runs.</summary>
    public string Executable { get; }

    /// <summary>The browser's private work folder (profile, crash dumps, cache), deleted on dispose.</summary>
    public string WorkFolder { get; }

    /// <summary>True when the browser runs in a private network namespace that has only a loopback interface (Linux with unprivileged user namespaces).</summary>
    public bool NetworkIsolated { get; private init; }

    /// <summary>The browser's main process id.</summary>
    public int ProcessId => _process?.Id ?? 0;

    /// <summary>Observes each launch in the current async flow (tests check with it that nothing is left behind).</summary>
    public static AsyncLocal<Action<HeadlessBrowser>?> LaunchObserver { get; } = new();

    /// <summary>Starts the browser <paramref name="executable"/> (default: <see cref="BrowserLocator.LocateOrThrow()"/>) after sweeping stale work folders.</summary>
    /// <exception cref="BrowserNotFoundException">No browser is installed or COURSE_BROWSER points nowhere.</exception>
    /// <exception cref="BrowserRunException">The browser would not start.</exception>
    public static Task<HeadlessBrowser> LaunchAsync(string? executable = null, CancellationToken ct = default) =>
        LaunchAsync(executable, reachesMachineLoopback: false, ct);

    /// <summary>
    /// Starts the browser as <see cref="LaunchAsync(string?, CancellationToken)"/> does; with <paramref name="reachesMachineLoopback"/> it
    /// stays in the machine's network namespace, so its pages can open a server on this machine's loopback (the offline switches still
    /// send every other request to a proxy that does not exist; Chromium never sends loopback addresses through a proxy).
    /// </summary>
    /// <exception cref="BrowserNotFoundException">No browser is installed or COURSE_BROWSER points nowhere.</exception>
    /// <exception cref="BrowserRunException">The browser would not start.</exception>
    public static async Task<HeadlessBrowser> LaunchAsync(string? executable, bool reachesMachineLoopback, CancellationToken ct = default)
    {
        executable ??= BrowserLocator.LocateOrThrow();
        ct.ThrowIfCancellationRequested();
        InstallExitHooks();
        var root = BrowserWorkFolders.Root(executable);
        BrowserWorkFolders.SweepStale(root);
        var work = BrowserWorkFolders.Create(root);
        var isolated = reachesMachineLoopback ? null : OfflineLaunch.Wrap(executable, work);

        var options = new LaunchOptions
        {
            ExecutablePath = isolated ?? executable,
            HeadlessMode = HeadlessMode.True,
            UserDataDir = Path.Combine(work, "profile"),
            Timeout = (int)LaunchTimeout.TotalMilliseconds,
            // A pipe, not a DevTools port: no listener at all, and the browser sees the pipe close when the runner dies.
            Pipe = true,
            // Without the background-networking, component-update and sync switches Chromium tries to
            // reach Google's servers; there is no network here and nothing to fetch. File access lets
            // the page checks see errors from a page's own .js files (each file:// URL is its own origin).
            Args = [.. OfflineLaunch.Switches],
        };
        // Chromium's singleton folder (org.chromium.Chromium.XXXXXX, left behind by an interrupted browser) goes into the work
        // folder, removed with it, where its SingletonSocket path fits a Unix socket address (108 bytes); a long TMPDIR keeps the default.
        if (work.Length + "/org.chromium.Chromium.XXXXXX/SingletonSocket".Length < 104)
        {
            options.Env["TMPDIR"] = work;
        }

        if (OperatingSystem.IsLinux())
        {
            // Crash reports and the dconf cache would otherwise go to ~/.config/chromium and ~/.cache;
            // in the work folder they leave nothing behind and mark every helper with the folder's path.
            options.Env["BREAKPAD_DUMP_LOCATION"] = Path.Combine(work, "crash");
            options.Env["XDG_CACHE_HOME"] = Path.Combine(work, "cache");
        }

        IBrowser browser;
        try
        {
            browser = await new Launcher().LaunchAsync(options).WaitAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            BrowserWorkFolders.KillProcessesUsing(work);
            BrowserWorkFolders.TryDelete(work);
            throw new BrowserRunException(
                $"Could not start the browser '{executable}' ({e.Message}); check that it is a Chromium, Chrome or Edge executable, or set {BrowserLocator.BrowserVariable}.",
                inner: e);
        }
        catch (OperationCanceledException)
        {
            BrowserWorkFolders.KillProcessesUsing(work);
            BrowserWorkFolders.TryDelete(work);
            throw;
        }

        var headless = new HeadlessBrowser(browser, executable, work) { NetworkIsolated = isolated is not null };
        lock (LiveLock)
        {
            Live.Add(headless);
        }

        LaunchObserver.Value?.Invoke(headless);
        return headless;
    }

    /// <summary>Opens a new blank page.</summary>
    public Task<IPage> NewPageAsync()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return _browser.NewPageAsync();
    }

    /// <summary>True while the browser still runs and answers.</summary>
    public bool IsConnected => _disposed == 0 && _browser.IsConnected && !_browser.IsClosed;

    /// <summary>Closes the browser, ends every process of it and deletes its work folder.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // It stays in Live until End has finished: an exit meanwhile (a second Ctrl+C, the grace period over) still ends it.
        try
        {
            await _browser.CloseAsync().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // A hung or crashed browser is killed below; closing politely is only the fast path.
        }

        End();
    }

    // Synchronous, for the exit hooks: no awaiting while the process goes down. Runs once; a second caller (the exit hook
    // while a dispose or a signal is ending it) waits until the processes are gone and the folder deleted.
    private void End()
    {
        lock (_endGate)
        {
            if (!_ended)
            {
                EndProcessesAndFolder();
                _ended = true;
            }
        }

        lock (LiveLock)
        {
            Live.Remove(this);
        }
    }

    private void EndProcessesAndFolder()
    {
        BrowserWorkFolders.KillProcessesUsing(WorkFolder, _process);
        try
        {
            _process?.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }

        if (!BrowserWorkFolders.TryDelete(WorkFolder))
        {
            Console.Error.WriteLine($"warning: could not delete the browser's work folder '{WorkFolder}'; the next run sweeps it.");
        }

        var parent = Path.GetDirectoryName(WorkFolder);
        try
        {
            if (parent is not null && Path.GetFileName(parent) == "aiu-browser-work" && !Directory.EnumerateFileSystemEntries(parent).Any())
            {
                Directory.Delete(parent);
            }
        }
        catch (IOException)
        {
            // Another run's folder appeared meanwhile.
        }
    }

    /// <summary>Ends every browser this process started (used on Ctrl+C, SIGTERM and process exit).</summary>
    public static void EndAll()
    {
        List<HeadlessBrowser> live;
        lock (LiveLock)
        {
            live = [.. Live];
        }

        foreach (var browser in live)
        {
            Interlocked.Exchange(ref browser._disposed, 1);
            browser.End();
        }
    }

    private static void InstallExitHooks()
    {
        if (Interlocked.Exchange(ref _hooksInstalled, 1) != 0)
        {
            return;
        }

        // The browser must die with the runner. Ctrl+C, SIGTERM and SIGQUIT end it at once (the command's own
        // cancellation decides what else happens; this handler does not cancel the signal); the exit hook
        // covers a normal exit and Environment.Exit. A SIGKILL cannot be caught: then the closed pipe ends the browser and
        // the next start sweeps the folder.
        AddressInUse.Child.ExitHooks.AtExit(EndAll);
        AddressInUse.Child.ExitHooks.OnSignals([.. AddressInUse.Child.ExitHooks.StopSignals, PosixSignal.SIGQUIT], _ => EndAll());
    }
}
