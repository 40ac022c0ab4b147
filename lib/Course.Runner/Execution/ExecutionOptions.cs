using Course.Runner.Notebooks;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Execution;

/// <summary>How a notebook is executed: time limit per cell, parameter overrides and a progress callback.</summary>
public sealed class ExecutionOptions
{
    /// <summary>The default per-cell time limit.</summary>
    public static readonly TimeSpan DefaultCellTimeout = TimeSpan.FromSeconds(300);

    /// <summary>How long one cell may run before it is cancelled and abandoned.</summary>
    public TimeSpan CellTimeout { get; init; } = DefaultCellTimeout;

    /// <summary>Papermill-style overrides: variable name → C# expression text (e.g. "quick" → "true").</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>Names among <see cref="Parameters"/> that a notebook need not declare (--quick's): ignored without a warning where it does not.</summary>
    public IReadOnlySet<string> OptionalParameters { get; init; } = new HashSet<string>();

    /// <summary>Called before and after each code cell runs (on the runner's thread, in order).</summary>
    public Action<CellProgress>? Progress { get; init; }

    /// <summary>Called with the plain text of a displayed value each time a cell updates it (a progress line, say), from any thread.</summary>
    public Action<string>? LiveUpdate { get; init; }

    /// <summary>The most output text one cell keeps (stream text and displayed values together); the rest is dropped with a note.</summary>
    public long MaxOutputCharactersPerCell { get; init; } = CellOutputCollector.DefaultMaxCharacters;

    /// <summary>Whether #r "nuget:" and #i lines go to the kernel; by default (offline) they are refused with a clear message.</summary>
    public bool AllowNuGet { get; init; } = CellDirectives.NuGetAllowed;

    /// <summary>Whether a spare kernel worker starts warming up for the next notebook while this one runs (false for a run's last notebook).</summary>
    public bool WarmSpareWorker { get; init; } = true;

    /// <summary>Where the notebook takes its kernel worker and gives it back for the next one; null for a worker of its own, ended afterwards.</summary>
    public Kernel.WorkerPool? Workers { get; init; }

    /// <summary>How long the kernel worker may take to start before the run fails.</summary>
    public TimeSpan KernelStartTimeout { get; init; } = TimeSpan.FromSeconds(120);
}

/// <summary>Whether a progress report is about a cell starting or finishing.</summary>
public enum CellProgressStage
{
    /// <summary>The cell is about to run.</summary>
    Starting,

    /// <summary>The cell has finished (successfully or not).</summary>
    Finished,
}

/// <summary>A progress report: which code cell of how many, and how it went.</summary>
/// <param name="Notebook">The notebook's file name without extension, e.g. "01-address-already-in-use".</param>
/// <param name="CodeCellNumber">The 1-based number of the code cell among the notebook's code cells.</param>
/// <param name="CodeCellCount">How many code cells the notebook has.</param>
/// <param name="CellIndex">The 0-based position of the cell in the notebook.</param>
/// <param name="CellId">The cell id.</param>
/// <param name="Stage">Starting or finished.</param>
/// <param name="Elapsed">How long the cell ran (when finished).</param>
/// <param name="Succeeded">Whether it succeeded (when finished).</param>
public sealed record CellProgress(
    string Notebook,
    int CodeCellNumber,
    int CodeCellCount,
    int CellIndex,
    string? CellId,
    CellProgressStage Stage,
    TimeSpan? Elapsed = null,
    bool? Succeeded = null);

/// <summary>Why a cell failed.</summary>
public enum CellFailureKind
{
    /// <summary>The code threw an exception.</summary>
    Exception,

    /// <summary>The kernel worker process ended or could not start.</summary>
    Kernel,

    /// <summary>The code did not compile.</summary>
    Compilation,

    /// <summary>A #r or magic line could not be honoured.</summary>
    Directive,

    /// <summary>The cell exceeded the time limit.</summary>
    Timeout,

    /// <summary>The whole run was cancelled.</summary>
    Cancelled,
}

/// <summary>The cell that stopped a run and why.</summary>
/// <param name="CellIndex">The 0-based position of the cell in the executed notebook (-1 when no cell was running).</param>
/// <param name="CellId">The cell id.</param>
/// <param name="Kind">The kind of failure.</param>
/// <param name="Message">A one-paragraph explanation naming the cell and the fix where there is one.</param>
public sealed record CellFailure(int CellIndex, string? CellId, CellFailureKind Kind, string Message);

/// <summary>The outcome of executing one notebook.</summary>
public sealed class NotebookRunResult
{
    /// <summary>Creates a result.</summary>
    public NotebookRunResult(InteractiveDocument notebook, CellFailure? failure, TimeSpan duration, IReadOnlyList<string> warnings)
    {
        Notebook = notebook;
        Failure = failure;
        Duration = duration;
        Warnings = warnings;
    }

    /// <summary>The executed notebook (a copy of the source with outputs and execution counts).</summary>
    public InteractiveDocument Notebook { get; }

    /// <summary>True when every code cell ran without error.</summary>
    public bool Succeeded => Failure is null;

    /// <summary>True when the run was cancelled (Ctrl+C): not a failure of the notebook, and its partial outputs are not results.</summary>
    public bool Cancelled => Failure?.Kind == CellFailureKind.Cancelled;

    /// <summary>The cell that failed; later cells were not run.</summary>
    public CellFailure? Failure { get; }

    /// <summary>How long the run took.</summary>
    public TimeSpan Duration { get; }

    /// <summary>Non-fatal notes, e.g. a --param the notebook does not declare.</summary>
    public IReadOnlyList<string> Warnings { get; }
}
