using System.Diagnostics;
using Course.Runner.Kernel;
using Course.Runner.Notebooks;

namespace Course.Runner.Execution;

/// <summary>Runs a notebook's code cells in order in one C# script session, as the Polyglot C# kernel's "run all" does.</summary>
public sealed class NotebookExecutor
{
    /// <summary>The namespaces every cell can use without a using directive (the Polyglot C# kernel's defaults).</summary>
    public static readonly IReadOnlyList<string> DefaultImports =
    [
        "System",
        "System.Collections",
        "System.Collections.Generic",
        "System.Linq",
        "System.Text",
        "System.Threading.Tasks",
        "Course.Runner.Kernel",
    ];

    // The working directory and Console are process-wide, so notebooks run one at a time in a process.
    private static readonly SemaphoreSlim RunGate = new(1, 1);

    /// <summary>Reads and executes a notebook file.</summary>
    /// <exception cref="NotebookFormatException">The file is not a valid notebook.</exception>
    public Task<NotebookRunResult> ExecuteFileAsync(string notebookPath, ExecutionOptions? options = null, CancellationToken cancellationToken = default) =>
        ExecuteAsync(NotebookReader.ReadFile(notebookPath), notebookPath, options, cancellationToken);

    /// <summary>Executes a copy of the notebook; #r paths resolve against the notebook's folder, which is also the working directory meanwhile.</summary>
    /// <param name="source">The notebook to run (not modified).</param>
    /// <param name="notebookPath">Where the notebook lives (it need not exist on disk, but its folder is used for #r and the working directory).</param>
    /// <param name="options">Time limit, parameters and progress callback.</param>
    /// <param name="cancellationToken">Cancels the run (the running cell is cancelled and abandoned).</param>
    /// <exception cref="CourseException">A parameter override is not valid C#.</exception>
    public async Task<NotebookRunResult> ExecuteAsync(Notebook source, string notebookPath, ExecutionOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ExecutionOptions();
        if (options.CellTimeout <= TimeSpan.Zero)
        {
            throw new CourseException($"The cell timeout must be positive (was {options.CellTimeout.TotalSeconds} s). Fix: pass --cell-timeout with a number of seconds above 0.");
        }

        var fullPath = Path.GetFullPath(notebookPath);
        var directory = Path.GetDirectoryName(fullPath)!;
        var name = Path.GetFileNameWithoutExtension(fullPath);

        var notebook = source.Clone();
        notebook.NbFormatMinor = Math.Max(notebook.NbFormatMinor, Notebook.FormatMinor);
        notebook.EnsureCellIds();
        foreach (var cell in notebook.Cells.Where(c => c.CellType == CellType.Code))
        {
            cell.Outputs.Clear();
            cell.ExecutionCount = null;
        }

        var injection = ParameterInjector.Inject(notebook, options.Parameters);

        var stopwatch = Stopwatch.StartNew();
        await RunGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        var previousDirectory = Directory.GetCurrentDirectory();
        var session = new ScriptSession(fullPath, name, options.CellTimeout, options.LiveUpdate);
        CellFailure? failure = null;
        try
        {
            Directory.SetCurrentDirectory(directory);
            ScriptGlobals.Active = session.Globals;

            var codeCells = notebook.Cells.Where(c => c.CellType == CellType.Code).ToList();
            var executionCount = 0;
            for (int i = 0, number = 0; i < notebook.Cells.Count && failure is null; i++)
            {
                var cell = notebook.Cells[i];
                if (cell.CellType != CellType.Code)
                {
                    continue;
                }

                number++;
                if (string.IsNullOrWhiteSpace(cell.Source))
                {
                    // Jupyter leaves empty cells unnumbered; running them would only shift the counts.
                    continue;
                }

                options.Progress?.Invoke(new CellProgress(name, number, codeCells.Count, i, cell.Id, CellProgressStage.Starting));
                var cellWatch = Stopwatch.StartNew();
                cell.ExecutionCount = ++executionCount;
                failure = await session.RunCellAsync(cell, i, cancellationToken).ConfigureAwait(false);
                if (failure is not null && cell.HasTag(ParameterInjector.InjectedTag))
                {
                    failure = failure with
                    {
                        Message = failure.Message + " This cell holds the --param values: each value is C# text, so strings need quotes "
                                  + "(--param host='\"127.0.0.1\"') and the value must fit the variable's type in the parameters cell.",
                    };
                }

                options.Progress?.Invoke(new CellProgress(name, number, codeCells.Count, i, cell.Id, CellProgressStage.Finished, cellWatch.Elapsed, failure is null));
            }
        }
        finally
        {
            session.Seal();
            ScriptGlobals.Active = null;
            RestoreDirectory(previousDirectory);
            RunGate.Release();
        }

        return new NotebookRunResult(notebook, failure, stopwatch.Elapsed, injection.Warnings);
    }

    private static void RestoreDirectory(string previous)
    {
        try
        {
            Directory.SetCurrentDirectory(previous);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The previous folder was removed while the notebook ran; staying in the notebook's folder is the only option left.
        }
    }
}
