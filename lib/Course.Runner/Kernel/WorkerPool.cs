namespace Course.Runner.Kernel;

/// <summary>
/// A run's warm kernel workers: a chapter takes one, and gives it back after its cells all finished by themselves, so the next
/// chapter gets a fresh kernel in an already warm process instead of a new process (seconds of CPU each on this machine).
/// </summary>
/// <remarks>
/// A worker goes back only when it closed its chapter cleanly (see <see cref="ChapterIsolation"/>); after a cell that hung,
/// crashed the kernel or was cancelled, the worker has been killed with everything it started, so the next chapter gets a new
/// process, as every chapter did before. Disposing the pool ends the workers it holds.
/// </remarks>
public sealed class WorkerPool : IDisposable
{
    private readonly Stack<WorkerProcess> _idle = new();
    private bool _disposed;

    /// <summary>How long a worker may take to close a chapter before it is replaced instead.</summary>
    internal static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How many chapters were served by a worker that had already served one (for the run's summary and tests).</summary>
    public int Reused { get; private set; }

    /// <summary>How many workers were ended after a chapter instead of being given back, and the last reason why.</summary>
    public int Replaced { get; private set; }

    /// <summary>The wall time workers took to close their chapters and start the next fresh kernel, added up (closes that kept the worker).</summary>
    public TimeSpan HandOverTime { get; private set; }

    /// <summary>How many chapters' workers were kept for the next chapter.</summary>
    public int HandOvers { get; private set; }

    /// <summary>Why the last worker was replaced after closing its chapter, or null.</summary>
    public string? LastReplacedBecause { get; private set; }

    /// <summary>A warm worker from the pool, or else one taken as <see cref="WorkerProcess.Take"/> does.</summary>
    internal WorkerProcess Take(bool startSpare)
    {
        lock (_idle)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            while (_idle.TryPop(out var worker))
            {
                if (!worker.HasExited)
                {
                    Reused++;
                    return worker;
                }

                worker.Dispose();
            }
        }

        // Where a worker can be reused, a spare would only be needed after a failed chapter: not worth a core for seconds.
        return WorkerProcess.Take(startSpare && !ChapterIsolation.Supported);
    }

    /// <summary>Closes the worker's chapter and keeps the worker for the next one, or ends it when it cannot be reused.</summary>
    /// <param name="worker">The worker the chapter ran in.</param>
    /// <param name="reusable">False after a hang, a crash or a cancel: the worker is ended without asking it anything.</param>
    internal async Task ReturnAsync(WorkerProcess worker, bool reusable)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var why = !reusable || worker.HasExited ? "" : await worker.CloseChapterAsync(CloseTimeout).ConfigureAwait(false);
        lock (_idle)
        {
            if (why is null && !_disposed)
            {
                HandOvers++;
                HandOverTime += clock.Elapsed;
                _idle.Push(worker);
                return;
            }

            if (!string.IsNullOrEmpty(why))
            {
                Replaced++;
                LastReplacedBecause = why;
            }
        }

        worker.Dispose();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        List<WorkerProcess> idle;
        lock (_idle)
        {
            _disposed = true;
            idle = [.. _idle];
            _idle.Clear();
        }

        foreach (var worker in idle)
        {
            worker.Dispose();
        }
    }
}
