using System.Globalization;
using Course.Runner.Execution;

namespace Course.Runner.Cli;

/// <summary>Prints "  [chapter] cell i/n (id x) ... ok (0.4 s)" lines while a chapter runs.</summary>
public sealed class ConsoleProgress(TextWriter output)
{
    /// <summary>Handles one progress report.</summary>
    public void Report(CellProgress progress)
    {
        if (progress.Stage == CellProgressStage.Starting)
        {
            var id = progress.CellId is null ? "" : $" (id {progress.CellId})";
            output.Write($"  [{progress.Notebook}] cell {progress.CodeCellNumber}/{progress.CodeCellCount}{id} ... ");
        }
        else
        {
            var seconds = (progress.Elapsed ?? TimeSpan.Zero).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
            output.WriteLine($"{(progress.Succeeded == true ? "ok" : "FAILED")} ({seconds} s)");
        }

        output.Flush();
    }
}
