using Course.Runner.Cli;

// The runner starts this same executable as its kernel worker (one per notebook); that mode has no CLI.
if (args is [Course.Runner.Kernel.WorkerProtocol.Verb])
{
    return await Course.Runner.Kernel.KernelWorker.RunAsync();
}

// The runner's own output must reach the terminal even while a cell has Console redirected, so capture the real writers first.
var stdout = Console.Out;
var stderr = Console.Error;
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C cancels the running cell and stops cleanly; a second one ends the process.
    if (!cancellation.IsCancellationRequested)
    {
        e.Cancel = true;
        cancellation.Cancel();
    }
};

try
{
    return await CommandLine.RunAsync(args, new CommandContext(stdout, stderr, Directory.GetCurrentDirectory(), cancellation.Token));
}
catch (Exception e)
{
    stderr.WriteLine($"course: internal error (a bug in the course runner, please report it with this text): {e}");
    return 70;
}
