using System.Runtime.InteropServices;
using Course.Runner.Cli;

// The runner starts this same executable as its kernel worker (one per notebook); that mode has no CLI.
if (args is [Course.Runner.Kernel.WorkerProtocol.Verb])
{
    return await Course.Runner.Kernel.KernelWorker.RunAsync();
}

// The runner's own output must reach the terminal even while a cell has Console redirected, so capture the real writers first.
var stdout = Console.Out;
var stderr = Console.Error;
// A cell that reads stdin must not wait on the runner's terminal or an open pipe until its timeout: it reads end-of-input at once.
Console.SetIn(TextReader.Null);

using var stop = new Cancellation(stderr);
using var stopSignals = AddressInUse.Child.ExitHooks.OnSignals(AddressInUse.Child.ExitHooks.StopSignals, stop.Handle);

var interactive = !Console.IsOutputRedirected
                  && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"))
                  && Environment.GetEnvironmentVariable("TERM") is not (null or "" or "dumb");
string currentDirectory;
try
{
    currentDirectory = Directory.GetCurrentDirectory();
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException)
{
    // getcwd fails when the shell's folder was deleted or moved after the shell entered it.
    stderr.WriteLine("course: the current folder no longer exists (deleted or moved since the shell entered it). Fix: cd to an existing folder (e.g. the course's) and run the command again.");
    return CommandLine.FailedExitCode;
}

try
{
    var context = new CommandContext(stdout, stderr, currentDirectory, stop.Token) { Interactive = interactive };
    return await CommandLine.RunAsync(args, context);
}
catch (OperationCanceledException) when (stop.Token.IsCancellationRequested)
{
    stderr.WriteLine(CommandLine.CancelledMessage);
    return CommandLine.CancelledExitCode;
}
catch (Exception e)
{
    stderr.WriteLine($"course: internal error (a bug in the course runner, please report it with this text): {e}");
    return 70;
}

/// <summary>Ctrl+C and SIGTERM: the first cancels the running command cleanly; a second one, or a command that has not stopped within the grace period, ends the process at once with exit code 130.</summary>
internal sealed class Cancellation(TextWriter error) : IDisposable
{
    /// <summary>How long a cancelled command may take to stop before the process ends anyway (the issue asks for exit within 2 s).</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(1.7);

    private readonly CancellationTokenSource _source = new();
    private int _signals;

    public CancellationToken Token => _source.Token;

    public void Handle(PosixSignalContext context)
    {
        // Keep the process alive: it ends by returning 130 once the command has stopped.
        context.Cancel = true;
        if (Interlocked.Increment(ref _signals) == 1)
        {
            error.WriteLine($"course: {context.Signal} received: stopping (press Ctrl+C again to end at once; committed results are not touched)");
            _source.Cancel();
            // Committed files are written only after a run that was not cancelled, so ending early cannot damage them.
            _ = Task.Delay(Grace).ContinueWith(_ => End("did not stop within the grace period"), TaskScheduler.Default);
        }
        else
        {
            End("second signal");
        }
    }

    public void Dispose() => _source.Dispose();

    private void End(string why)
    {
        error.WriteLine($"course: ending now ({why}); committed results were left as they were.");
        error.Flush();
        // Environment.Exit runs the exit hooks (AddressInUse.Child.ExitHooks), which end the lab's child servers, the workers and the browser.
        Environment.Exit(CommandLine.CancelledExitCode);
    }
}
