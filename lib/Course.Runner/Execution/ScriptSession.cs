using System.Globalization;
using System.Reflection;
using System.Text;
using Course.Runner.Formatting;
using Course.Runner.Kernel;
using Course.Runner.Notebooks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Scripting;
using Microsoft.CodeAnalysis.Scripting.Hosting;

namespace Course.Runner.Execution;

/// <summary>One notebook's C# script session: the state carried from cell to cell, the references added by #r, and per-cell capture and time limit.</summary>
internal sealed class ScriptSession
{
    private readonly string _notebookDirectory;
    private readonly string _notebookName;
    private readonly TimeSpan _cellTimeout;
    private readonly InteractiveAssemblyLoader _loader = new();
    private readonly List<CellOutputCollector> _collectors = [];
    private readonly HashSet<string> _referencedPaths = new(StringComparer.OrdinalIgnoreCase);
    private ScriptOptions _options;
    private ScriptState<object>? _state;
    private bool _abandonedCell;
    private readonly Action<string>? _liveUpdate;

    public ScriptSession(string notebookPath, string notebookName, TimeSpan cellTimeout, Action<string>? liveUpdate = null)
    {
        _notebookDirectory = Path.GetDirectoryName(notebookPath)!;
        _notebookName = notebookName;
        _cellTimeout = cellTimeout;
        _liveUpdate = liveUpdate;
        Globals = new ScriptGlobals(notebookPath);
        _options = ScriptOptions.Default
            .WithReferences(FrameworkReferences.All)
            .AddReferences(typeof(ScriptGlobals).Assembly)
            .WithImports(NotebookExecutor.DefaultImports)
            .WithLanguageVersion(LanguageVersion.Latest)
            .WithMetadataResolver(ScriptMetadataResolver.Default.WithBaseDirectory(_notebookDirectory))
            .WithSourceResolver(new SourceFileResolver([], _notebookDirectory))
            .WithEmitDebugInformation(true)
            .WithFileEncoding(Encoding.UTF8);
    }

    public ScriptGlobals Globals { get; }

    /// <summary>Runs one code cell; returns the failure that stops the run, or null.</summary>
    public async Task<CellFailure?> RunCellAsync(NotebookCell cell, int index, CancellationToken runToken)
    {
        var label = cell.Describe(index);
        var collector = new CellOutputCollector(cell.Outputs) { OnReplaced = _liveUpdate };
        _collectors.Add(collector);

        PreprocessedCell code;
        try
        {
            code = CellDirectives.Preprocess(cell.Source, label);
            foreach (var reference in code.References)
            {
                AddReference(reference, label);
            }
        }
        catch (CourseException e)
        {
            collector.Add(new ErrorOutput("DirectiveError", e.Message, [e.Message]));
            return new CellFailure(index, cell.Id, CellFailureKind.Directive, e.Message);
        }

        _state ??= await CSharpScript.Create("", _options, typeof(ScriptGlobals), _loader)
            .RunAsync(Globals, cancellationToken: runToken).ConfigureAwait(false);

        var options = _options.WithFilePath($"{_notebookName}.ipynb, {label}");
        var script = _state.Script.ContinueWith(code.Code, options);
        var errors = script.Compile(runToken).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0)
        {
            var lines = errors.Select(DescribeDiagnostic).ToList();
            var message = $"{label} does not compile: {string.Join("; ", lines)}";
            collector.Add(new ErrorOutput("CompilationError", $"{label} does not compile ({errors.Count} error{(errors.Count == 1 ? "" : "s")})", lines));
            return new CellFailure(index, cell.Id, CellFailureKind.Compilation, message);
        }

        using var cellCancellation = CancellationTokenSource.CreateLinkedTokenSource(runToken);
        var context = new CellContext(collector, cellCancellation.Token, label);
        Globals.CurrentCell = context;
        var previousOut = Console.Out;
        var previousError = Console.Error;
        Console.SetOut(new CapturingWriter(collector, StreamOutput.Stdout));
        Console.SetError(new CapturingWriter(collector, StreamOutput.Stderr));
        try
        {
            var state = _state;
            // Task.Run keeps a cell that never awaits (a busy loop) from blocking the runner, so the time limit still applies.
            var run = Task.Run(async () =>
            {
                CellContext.Current = context;
                return await script.RunFromAsync(state, catchException: null, cancellationToken: CancellationToken.None).ConfigureAwait(false);
            }, CancellationToken.None);

            var deadline = Task.Delay(_cellTimeout, runToken);
            if (await Task.WhenAny(run, deadline).ConfigureAwait(false) != run)
            {
                await cellCancellation.CancelAsync().ConfigureAwait(false);
                _abandonedCell = true;
                // The abandoned task may still fail later; observe it so it is not reported as unobserved.
                _ = run.ContinueWith(t => t.Exception, TaskScheduler.Default);
                return runToken.IsCancellationRequested ? Cancelled(cell, index, label, collector) : TimedOut(cell, index, label, collector);
            }

            ScriptState<object> next;
            try
            {
                next = await run.ConfigureAwait(false);
            }
            catch (Exception e)
            {
                return Failed(cell, index, label, collector, e);
            }

            _state = next;
            // A trailing display(x) already showed x; its handle is not a result worth showing again.
            if (HasTrailingValue(script) && next.ReturnValue is not DisplayedValue)
            {
                try
                {
                    collector.Add(new ExecuteResultOutput(cell.ExecutionCount, ValueFormatter.Format(next.ReturnValue)));
                }
                catch (FormattingException e)
                {
                    return Failed(cell, index, label, collector, e);
                }
            }

            return null;
        }
        finally
        {
            Console.SetOut(previousOut);
            Console.SetError(previousError);
            Globals.CurrentCell = null;
        }
    }

    /// <summary>Stops all cells' outputs from changing and releases the assembly loader unless a cell is still running abandoned.</summary>
    public void Seal()
    {
        foreach (var collector in _collectors)
        {
            collector.Seal();
        }

        if (!_abandonedCell)
        {
            _loader.Dispose();
        }
    }

    private void AddReference(AssemblyReferenceDirective reference, string label)
    {
        var written = reference.Path;
        var looksLikeName = !written.Contains('/') && !written.Contains('\\')
                            && !written.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
                            && !written.EndsWith(".exe", StringComparison.OrdinalIgnoreCase);
        if (looksLikeName)
        {
            if (FrameworkReferences.Contains(written))
            {
                return; // Already referenced: every framework assembly is.
            }

            throw new CourseException(
                $"{label}, line {reference.LineNumber}: #r \"{written}\" names an assembly that is not part of the .NET shared framework. "
                + "Fix: reference a built dll by its path relative to the notebook's folder, e.g. #r \"../lib/bin/AddressInUse.dll\".");
        }

        var resolved = Path.GetFullPath(Path.Combine(_notebookDirectory, written));
        if (!File.Exists(resolved))
        {
            throw new CourseException(
                $"{label}, line {reference.LineNumber}: #r \"{written}\" points to {resolved}, which does not exist "
                + $"(#r paths are relative to the notebook's folder {_notebookDirectory}). "
                + "Fix: build the library first: dotnet build (at the repository root, or dotnet build lib/AddressInUse), or correct the path.");
        }

        if (_referencedPaths.Add(resolved))
        {
            // Script options accumulate, so every later cell also sees the assembly; the loader finds it (and files next to it) at run time.
            _options = _options.AddReferences(MetadataReference.CreateFromFile(resolved));
        }
    }

    private static bool HasTrailingValue(Script script)
    {
        // Roslyn's own check is internal; its rule is: the last statement is an expression without ';' whose type is not void.
        var compilation = script.GetCompilation();
        var tree = compilation.SyntaxTrees.LastOrDefault();
        if (tree?.GetRoot() is not CompilationUnitSyntax root
            || root.Members.LastOrDefault() is not GlobalStatementSyntax { Statement: ExpressionStatementSyntax statement }
            || !statement.SemicolonToken.IsMissing)
        {
            return false;
        }

        var type = compilation.GetSemanticModel(tree).GetTypeInfo(statement.Expression).Type;
        return type is not null && type.SpecialType != SpecialType.System_Void;
    }

    private static string DescribeDiagnostic(Diagnostic diagnostic)
    {
        var span = diagnostic.Location.GetLineSpan();
        var where = diagnostic.Location.IsInSource
            ? $"line {span.StartLinePosition.Line + 1}, column {span.StartLinePosition.Character + 1}: "
            : "";
        return $"{where}error {diagnostic.Id}: {diagnostic.GetMessage(CultureInfo.InvariantCulture)}";
    }

    private CellFailure TimedOut(NotebookCell cell, int index, string label, CellOutputCollector collector)
    {
        var seconds = _cellTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        var message = $"{label} did not finish within {seconds} s; it was cancelled (CellCancellationToken) and abandoned, and the rest of the notebook was not run. "
                      + $"Fix: raise --cell-timeout (now {seconds} s), run with --quick for shorter experiments, "
                      + "or pass CellCancellationToken to long waits so the cell can stop.";
        collector.Add(new ErrorOutput("CellTimeout", message, [message]));
        return new CellFailure(index, cell.Id, CellFailureKind.Timeout, message);
    }

    private static CellFailure Cancelled(NotebookCell cell, int index, string label, CellOutputCollector collector)
    {
        var message = $"{label} was cancelled because the run was cancelled.";
        collector.Add(new ErrorOutput("Cancelled", message, [message]));
        return new CellFailure(index, cell.Id, CellFailureKind.Cancelled, message);
    }

    private static CellFailure Failed(NotebookCell cell, int index, string label, CellOutputCollector collector, Exception exception)
    {
        while (exception is TargetInvocationException or AggregateException && exception.InnerException is not null)
        {
            exception = exception.InnerException;
        }

        collector.Add(new ErrorOutput(exception.GetType().Name, exception.Message, Traceback(exception)));
        return new CellFailure(index, cell.Id, CellFailureKind.Exception,
            $"{label} threw {exception.GetType().FullName}: {exception.Message}");
    }

    private static IEnumerable<string> Traceback(Exception exception)
    {
        // The runner's and Roslyn's own frames say nothing about the notebook; keep the cell's frames and the library's.
        return exception.ToString().Replace("\r\n", "\n").Split('\n')
            .Where(line => !line.TrimStart().StartsWith("at Microsoft.CodeAnalysis.Scripting.", StringComparison.Ordinal)
                           && !line.TrimStart().StartsWith("at Course.Runner.Execution.", StringComparison.Ordinal)
                           && !line.TrimStart().StartsWith("at System.Threading.", StringComparison.Ordinal)
                           && !line.TrimStart().StartsWith("at System.Runtime.CompilerServices.", StringComparison.Ordinal)
                           && !line.Contains("--- End of stack trace from previous location ---", StringComparison.Ordinal));
    }
}
