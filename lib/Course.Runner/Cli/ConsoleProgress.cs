using System.Globalization;
using Course.Runner.Execution;

namespace Course.Runner.Cli;

/// <summary>Prints "  [chapter] cell i/n (id x) ... ok (0.4 s)" lines while a chapter runs.</summary>
public sealed class ConsoleProgress(TextWriter output, TimeProvider? time = null)
{
    /// <summary>The least time between two live lines, so a cell that updates every second does not flood a CI log.</summary>
    public static readonly TimeSpan LiveInterval = TimeSpan.FromSeconds(5);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly object _gate = new();
    private long? _lastLive;
    private bool _liveShown;
    private bool _lineOpen;

    /// <summary>Ends a cell line left open because its cell never reported finishing (the run was cancelled), with the word given.</summary>
    public void EndOpenLine(string word)
    {
        lock (_gate)
        {
            if (_lineOpen)
            {
                output.WriteLine(word);
                _lineOpen = false;
                output.Flush();
            }
        }
    }

    /// <summary>Shows what a running cell just displayed in place (its first line), at most once per <see cref="LiveInterval"/>.</summary>
    public void Live(string text)
    {
        lock (_gate)
        {
            if (_lastLive is { } last && _time.GetElapsedTime(last) < LiveInterval)
            {
                return;
            }
            _lastLive = _time.GetTimestamp();
            var firstLine = text.Split('\n', 2)[0].Trim();
            output.Write($"{Environment.NewLine}      … {firstLine}");
            _liveShown = true;
            output.Flush();
        }
    }

    /// <summary>Handles one progress report; a cell that ended because the run was cancelled is shown as "cancelled", not "FAILED".</summary>
    public void Report(CellProgress progress, bool cancelled = false)
    {
        lock (_gate)
        {
            ReportLocked(progress, cancelled);
        }
    }

    private void ReportLocked(CellProgress progress, bool cancelled)
    {
        if (progress.Stage == CellProgressStage.Starting)
        {
            _lastLive = null;
            _liveShown = false;
            var id = progress.CellId is null ? "" : $" (id {progress.CellId})";
            output.Write($"  [{progress.Notebook}] cell {progress.CodeCellNumber}/{progress.CodeCellCount}{id} ... ");
            _lineOpen = true;
        }
        else
        {
            var seconds = (progress.Elapsed ?? TimeSpan.Zero).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
            var lead = _liveShown ? $"{Environment.NewLine}      → " : "";
            _lineOpen = false;
            output.WriteLine($"{lead}{(progress.Succeeded == true ? "ok" : cancelled ? "cancelled" : "FAILED")} ({seconds} s)");
        }

        output.Flush();
    }
}
