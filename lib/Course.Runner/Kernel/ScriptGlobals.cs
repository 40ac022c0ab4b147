using Course.Runner.Execution;
using Course.Runner.Formatting;
using Course.Runner.Notebooks;

namespace Course.Runner.Kernel;

/// <summary>The members every notebook cell can use unqualified (the script globals), mirroring the Polyglot C# kernel's helpers.</summary>
public sealed class ScriptGlobals
{
    internal ScriptGlobals(string notebookPath)
    {
        NotebookPath = notebookPath;
    }

    /// <summary>The full path of the notebook being run.</summary>
    public string NotebookPath { get; }

    /// <summary>The folder of the notebook being run (also the working directory while it runs).</summary>
    public string NotebookDirectory => Path.GetDirectoryName(NotebookPath) ?? ".";

    /// <summary>Cancelled when the running cell exceeds the per-cell time limit; pass it to long waits so the cell stops in time.</summary>
    public CancellationToken CellCancellationToken => Context?.CancellationToken ?? CancellationToken.None;

    internal CellContext? CurrentCell { get; set; }

    private CellContext? Context => CellContext.Current ?? CurrentCell;

    /// <summary>Shows a value as a display_data output (formatted with its convention formatters) and returns a handle to update it.</summary>
    /// <param name="value">The value to show.</param>
    /// <param name="mimeTypes">When given, exactly these MIME types are produced.</param>
    public DisplayedValue display(object? value, params string[] mimeTypes) => Show(value, mimeTypes);

    /// <summary>Wraps markup so that it is displayed as text/html.</summary>
    public HtmlContent HTML(string html) => new(html);

    internal DisplayedValue Show(object? value, string[]? mimeTypes)
    {
        var context = Context ?? throw new InvalidOperationException(
            "display(...) was called outside a running cell. Fix: call it from cell code (not from a timer that outlives the notebook run).");
        var requested = mimeTypes is { Length: > 0 } ? mimeTypes : null;
        var output = new DisplayDataOutput(ValueFormatter.Format(value, requested));
        context.Collector.Add(output);
        return new DisplayedValue(context.Collector, output, requested);
    }

    internal static ScriptGlobals? Active { get; set; }
}
