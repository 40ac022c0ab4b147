using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Course.Runner.Kernel;
using Course.Runner.Notebooks;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;

namespace Course.Runner.Execution;

/// <summary>Runs a notebook's code cells in order on the real .NET Interactive C# kernel, in a worker process of its own.</summary>
/// <remarks>
/// Each notebook gets a fresh kernel with no state from another chapter, in a fresh worker process or, with
/// <see cref="ExecutionOptions.Workers"/>, in a warm one that closed its previous chapter cleanly. A cell over its time limit,
/// or a cancelled run, ends the worker and every process it started: nothing a cell does can go on afterwards
/// or reach another notebook's outputs.
/// </remarks>
public sealed class NotebookExecutor
{
    /// <summary>Reads and executes a notebook file.</summary>
    /// <exception cref="NotebookFormatException">The file is not a valid notebook.</exception>
    public Task<NotebookRunResult> ExecuteFileAsync(string notebookPath, ExecutionOptions? options = null, CancellationToken cancellationToken = default) =>
        ExecuteAsync(NotebookReader.ReadFile(notebookPath), notebookPath, options, cancellationToken);

    /// <summary>Executes a copy of the notebook; relative #r paths resolve against the notebook's folder (the worker's working directory).</summary>
    /// <param name="source">The notebook to run (not modified).</param>
    /// <param name="notebookPath">Where the notebook lives (it need not exist on disk, but its folder is used for #r and the working directory).</param>
    /// <param name="options">Time limit, parameters and progress callback.</param>
    /// <param name="cancellationToken">Cancels the run: the worker is ended at once and the result is <see cref="NotebookRunResult.Cancelled"/>.</param>
    /// <exception cref="CourseException">A parameter override is not valid C#, or the time limit is not positive.</exception>
    public async Task<NotebookRunResult> ExecuteAsync(InteractiveDocument source, string notebookPath, ExecutionOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ExecutionOptions();
        if (options.CellTimeout <= TimeSpan.Zero)
        {
            throw new CourseException($"The cell timeout must be positive (was {options.CellTimeout.TotalSeconds} s). Fix: pass --cell-timeout with a number of seconds above 0.");
        }

        var fullPath = Path.GetFullPath(notebookPath);
        var directory = Path.GetDirectoryName(fullPath)!;
        var name = Path.GetFileNameWithoutExtension(fullPath);

        var notebook = source.Copy();
        notebook.EnsureCellIds();
        foreach (var cell in notebook.Elements.Where(c => c.IsCode()))
        {
            cell.Outputs.Clear();
            cell.ExecutionOrder = 0;
        }

        var injection = ParameterInjector.Inject(notebook, options.Parameters, options.OptionalParameters);
        var stopwatch = Stopwatch.StartNew();
        if (cancellationToken.IsCancellationRequested)
        {
            return new NotebookRunResult(notebook, CancelledBeforeStart(), stopwatch.Elapsed, injection.Warnings);
        }

        // Read before any cell runs: a bad limit in a late cell fails the chapter now, not after minutes of experiments.
        var ownTimeouts = new Dictionary<int, TimeSpan>();
        var codeCellCount = notebook.Elements.Count(c => c.IsCode());
        for (int i = 0, number = 0; i < notebook.Elements.Count; i++)
        {
            var cell = notebook.Elements[i];
            if (!cell.IsCode())
            {
                continue;
            }

            number++;
            try
            {
                if (CellTimeout.Of(cell, Label(cell, number, codeCellCount)) is { } own)
                {
                    ownTimeouts[i] = own;
                }
            }
            catch (CourseException e)
            {
                cell.Outputs.Add(NotebookOutputs.Error("CellTimeoutMetadata", e.Message, [e.Message]));
                return new NotebookRunResult(notebook, new CellFailure(i, cell.Id, CellFailureKind.Directive, e.Message), stopwatch.Elapsed, injection.Warnings);
            }
        }

        var worker = options.Workers?.Take(options.WarmSpareWorker) ?? WorkerProcess.Take(options.WarmSpareWorker);
        // Cancelling ends the worker at once: a cell that never awaits cannot be cancelled any other way.
        using var killOnCancel = cancellationToken.Register(worker.Kill);
        CellFailure? failure;
        try
        {
            failure = await OpenAsync(worker, directory, options.KernelStartTimeout, cancellationToken).ConfigureAwait(false);
            var codeCells = notebook.Elements.Count(c => c.IsCode());
            var executionCount = 0;
            for (int i = 0, number = 0; i < notebook.Elements.Count && failure is null; i++)
            {
                var cell = notebook.Elements[i];
                if (!cell.IsCode())
                {
                    continue;
                }

                number++;
                if (string.IsNullOrWhiteSpace(cell.Contents))
                {
                    // Jupyter leaves empty cells unnumbered; running them would only shift the counts.
                    continue;
                }

                var label = Label(cell, number, codeCells);
                options.Progress?.Invoke(new CellProgress(name, number, codeCells, i, cell.Id, CellProgressStage.Starting));
                var cellWatch = Stopwatch.StartNew();
                cell.ExecutionOrder = ++executionCount;
                var timeout = ownTimeouts.TryGetValue(i, out var own) ? (own, true) : (options.CellTimeout, false);
                failure = await RunCellAsync(worker, cell, i, label, directory, timeout, options, cancellationToken).ConfigureAwait(false);
                if (failure is not null && failure.Kind is CellFailureKind.Exception or CellFailureKind.Compilation && cell.HasTag(ParameterInjector.InjectedTag))
                {
                    failure = failure with
                    {
                        Message = failure.Message + " This cell holds the --param values: each value is C# text, so strings need quotes "
                                  + "(--param host='\"127.0.0.1\"') and the value must fit the variable's type in the parameters cell.",
                    };
                }

                options.Progress?.Invoke(new CellProgress(name, number, codeCells, i, cell.Id, CellProgressStage.Finished, cellWatch.Elapsed, failure is null));
            }
        }
        catch
        {
            worker.Dispose();
            throw;
        }

        var duration = stopwatch.Elapsed;
        if (options.Workers is { } pool)
        {
            // A worker whose cells all ended by themselves may serve the next chapter; one that was killed (a hang, a crash,
            // a cancel) is not asked anything.
            var reusable = failure is null or { Kind: CellFailureKind.Exception or CellFailureKind.Compilation or CellFailureKind.Directive };
            await pool.ReturnAsync(worker, reusable && !cancellationToken.IsCancellationRequested).ConfigureAwait(false);
        }
        else
        {
            worker.Dispose();
        }

        return new NotebookRunResult(notebook, failure, duration, injection.Warnings);
    }

    /// <summary>How messages name a cell: by its number among the code cells, as the progress line counts them.</summary>
    public static string Label(InteractiveDocumentElement cell, int codeCellNumber, int codeCellCount) =>
        cell.Id is null ? $"code cell {codeCellNumber} of {codeCellCount}" : $"code cell {codeCellNumber} of {codeCellCount} (id {cell.Id})";

    private static async Task<CellFailure?> OpenAsync(WorkerProcess worker, string directory, TimeSpan startTimeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(startTimeout);
        try
        {
            var open = new OpenNotebook(directory);
            await foreach (var e in worker.RunAsync(open, deadline.Token).ConfigureAwait(false))
            {
                if (e is CommandSucceeded && WorkerProtocol.Completes(e, open))
                {
                    return null;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return CancelledBeforeStart();
            }
        }

        worker.Kill();
        return new CellFailure(-1, null, CellFailureKind.Kernel,
            $"The C# kernel did not start ({worker.DescribeExit()}). Fix: run dotnet build Course.sln once while online so the kernel's packages are restored, then run again.");
    }

    private static async Task<CellFailure?> RunCellAsync(
        WorkerProcess worker, InteractiveDocumentElement cell, int index, string label, string directory, (TimeSpan Limit, bool FromMetadata) timeout,
        ExecutionOptions options, CancellationToken runToken)
    {
        var collector = new CellOutputCollector(cell.Outputs, options.MaxOutputCharactersPerCell) { OnReplaced = options.LiveUpdate };
        try
        {
            try
            {
                CellDirectives.Check(cell.Contents, label, directory, options.AllowNuGet);
            }
            catch (CourseException e)
            {
                collector.Add(NotebookOutputs.Error("DirectiveError", e.Message, [e.Message]));
                return new CellFailure(index, cell.Id, CellFailureKind.Directive, e.Message);
            }

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(runToken);
            deadline.CancelAfter(timeout.Limit);
            try
            {
                var submit = new SubmitCode(cell.Contents, "csharp");
                CommandFailed? failed = null;
                await foreach (var e in worker.RunAsync(submit, deadline.Token).ConfigureAwait(false))
                {
                    switch (e)
                    {
                        case StandardOutputValueProduced o:
                            collector.AppendStream(NotebookOutputs.Stdout, PlainText(o));
                            break;
                        case StandardErrorValueProduced o:
                            collector.AppendStream(NotebookOutputs.Stderr, PlainText(o));
                            break;
                        case DisplayedValueUpdated d:
                            if (d.ValueId is null || !collector.Replace(d.ValueId, NotebookOutputs.Display(ToBundle(d.FormattedValues))))
                            {
                                collector.Add(NotebookOutputs.Display(ToBundle(d.FormattedValues)), d.ValueId);
                            }

                            break;
                        case DisplayedValueProduced d:
                            collector.Add(NotebookOutputs.Display(ToBundle(d.FormattedValues)), d.ValueId);
                            break;
                        case ReturnValueProduced r:
                            collector.Add(NotebookOutputs.Result(cell.ExecutionOrder, ToBundle(r.FormattedValues)));
                            break;
                        case CommandFailed f:
                            // A magic's part of the cell may fail before the cell itself: the first failure is the one to show.
                            failed ??= f;
                            break;
                    }

                    if (WorkerProtocol.Completes(e, submit))
                    {
                        return failed is null ? null : Failed(cell, index, label, collector, KernelError.From(failed));
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                // The deadline or the run's cancellation: handled below, the same as a worker that ended.
            }

            // Nothing more from this cell may land anywhere: the worker and its children end here.
            worker.Kill();
            if (runToken.IsCancellationRequested)
            {
                return Cancelled(cell, index, label, collector);
            }

            if (deadline.IsCancellationRequested)
            {
                return TimedOut(cell, index, label, collector, timeout.Limit, timeout.FromMetadata);
            }

            var message = $"{label} stopped the kernel: {worker.DescribeExit()}. The rest of the notebook was not run.";
            collector.Add(NotebookOutputs.Error("KernelExited", message, [message]));
            return new CellFailure(index, cell.Id, CellFailureKind.Kernel, message);
        }
        finally
        {
            collector.Seal();
        }
    }

    // The kernel sends every value as text: JSON MIME types are kept as JSON, so that they are written as JSON values.
    private static Dictionary<string, object> ToBundle(IReadOnlyCollection<FormattedValue> values)
    {
        var bundle = new Dictionary<string, object>();
        // The first value of each MIME type counts, as the kernel's own Jupyter front end keeps it.
        foreach (var (mimeType, text) in values.DistinctBy(v => v.MimeType).Select(v => (v.MimeType, v.Value)))
        {
            JsonNode? json = null;
            if (NotebookOutputs.IsJsonMimeType(mimeType))
            {
                try
                {
                    json = JsonNode.Parse(text);
                }
                catch (JsonException)
                {
                    // Not JSON after all: kept as the text the formatter wrote.
                }
            }

            if (json is not null)
            {
                bundle[mimeType] = json;
            }
            else
            {
                bundle[mimeType] = text;
            }
        }

        return bundle;
    }

    /// <summary>The fix added to the compiler's CS0006 (an #r by name that the kernel cannot find).</summary>
    public const string MissingReferenceFix =
        "Fix: #r \"Name\" only loads an assembly the .NET runtime already has (e.g. #r \"System.Net.Http\"); for a library, give the path of its .dll "
        + "relative to the notebook, e.g. #r \"../lib/bin/AddressInUse.dll\" (build it first with: dotnet build lib/AddressInUse).";

    // Stream events carry their text as text/plain formatted values.
    private static string PlainText(DisplayEvent e) => string.Concat(e.FormattedValues.Select(v => v.Value));

    private static CellFailure Failed(InteractiveDocumentElement cell, int index, string label, CellOutputCollector collector, KernelError error)
    {
        var errorName = error.Name;
        var message = error.Message;
        var traceback = error.Traceback;
        if (error.IsCompilation)
        {
            var lines = message.Replace("\r\n", "\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (lines.Any(l => l.Contains("CS0006", StringComparison.Ordinal)))
            {
                lines = [.. lines, MissingReferenceFix];
            }

            collector.Add(NotebookOutputs.Error(errorName, $"{label} does not compile", lines));
            return new CellFailure(index, cell.Id, CellFailureKind.Compilation, $"{label} does not compile: {string.Join("; ", lines)}");
        }

        collector.Add(NotebookOutputs.Error(errorName, message, traceback));
        return new CellFailure(index, cell.Id, CellFailureKind.Exception, $"{label} threw {errorName}: {message}");
    }

    private static CellFailure TimedOut(InteractiveDocumentElement cell, int index, string label, CellOutputCollector collector, TimeSpan timeout, bool fromMetadata)
    {
        var seconds = timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        // The limit to raise is the one that applied: the cell's own, or the run's.
        var raise = fromMetadata
            ? $"raise \"{CellTimeout.SecondsKey}\" in the cell's \"{CellTimeout.MetadataKey}\" metadata (now {seconds} s)"
            : $"raise --cell-timeout (now {seconds} s)";
        var message = $"{label} did not finish within {seconds} s; the kernel was ended with everything the cell started, and the rest of the notebook was not run. "
                      + $"Fix: if the cell loops forever (a while loop whose condition never changes, a wait for something that never comes), fix that loop; "
                      + $"if it only needs longer, {raise} or run with --quick for shorter experiments.";
        collector.Add(NotebookOutputs.Error("CellTimeout", message, [message]));
        return new CellFailure(index, cell.Id, CellFailureKind.Timeout, message);
    }

    private static CellFailure Cancelled(InteractiveDocumentElement cell, int index, string label, CellOutputCollector collector)
    {
        var message = $"{label} was cancelled because the run was cancelled.";
        collector.Add(NotebookOutputs.Error("Cancelled", message, [message]));
        return new CellFailure(index, cell.Id, CellFailureKind.Cancelled, message);
    }

    private static CellFailure CancelledBeforeStart() =>
        new(-1, null, CellFailureKind.Cancelled, "The run was cancelled before the notebook started.");
}
