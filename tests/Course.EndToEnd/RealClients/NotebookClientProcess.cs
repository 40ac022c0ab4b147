using System.Diagnostics;

namespace Course.EndToEnd.RealClients;

/// <summary>Starts a notebook client (jupyter or dotnet-repl) the way the real-client tests do: private Jupyter folders, telemetry off, no stdin, killed with its tree at a deadline.</summary>
internal static class NotebookClientProcess
{
    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/> in <paramref name="workingDirectory"/>, its Jupyter folders under <paramref name="jupyterRoot"/>; returns its exit code and stdout, then stderr.</summary>
    internal static async Task<(int ExitCode, string Output)> RunAsync(string file, IEnumerable<string> args, string workingDirectory, string jupyterRoot, TimeSpan timeout)
    {
        using var process = Process.Start(StartInfo(file, args, workingDirectory, jupyterRoot))!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        return (process.ExitCode, $"{await stdout}\n{await stderr}");
    }

    /// <summary>How the tests start <paramref name="file"/>: output and stdin redirected, Jupyter's folders under <paramref name="jupyterRoot"/>, telemetry and diagnostics off.</summary>
    internal static ProcessStartInfo StartInfo(string file, IEnumerable<string> args, string workingDirectory, string jupyterRoot)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["JUPYTER_PATH"] = Path.Combine(jupyterRoot, "jupyter");
        start.Environment["JUPYTER_DATA_DIR"] = Path.Combine(jupyterRoot, "jupyter");
        start.Environment["JUPYTER_CONFIG_DIR"] = Path.Combine(jupyterRoot, "jupyter-config");
        start.Environment["JUPYTER_RUNTIME_DIR"] = Path.Combine(jupyterRoot, "jupyter-runtime");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT"] = "1";
        // Without this every client and kernel process leaves clr-debug-pipe-*/dotnet-diagnostic-* files in /tmp.
        start.Environment["DOTNET_EnableDiagnostics"] = "0";
        return start;
    }
}
