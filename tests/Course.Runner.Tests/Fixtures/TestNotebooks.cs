using Course.Runner.Execution;
using Course.Runner.Notebooks;
using Microsoft.DotNet.Interactive.Documents;
using AddressInUse.Display;

namespace Course.Runner.Tests.Fixtures;

/// <summary>Builds small Polyglot notebooks for tests and runs them from a temp folder.</summary>
public static class TestNotebooks
{
    /// <summary>A Polyglot C# notebook with one code cell per source (ids c1, c2, ...).</summary>
    public static InteractiveDocument FromCode(params string[] codeCells)
    {
        var notebook = NotebookCells.CreatePolyglot();
        for (var i = 0; i < codeCells.Length; i++)
        {
            notebook.AddCell(NotebookCells.Code(codeCells[i], $"c{i + 1}"));
        }

        return notebook;
    }

    /// <summary>The cell with its own time limit in its metadata ("course": {"timeout_seconds": …}), used for it instead of the run's --cell-timeout.</summary>
    public static InteractiveDocumentElement WithOwnTimeout(InteractiveDocumentElement cell, double seconds)
    {
        Metadata.Child(cell.MetadataOf(), CellTimeout.MetadataKey)[CellTimeout.SecondsKey] = seconds;
        return cell;
    }

    /// <summary>Writes the notebook as &lt;folder&gt;/&lt;name&gt; and executes it from that file.</summary>
    public static async Task<NotebookRunResult> RunAsync(InteractiveDocument notebook, string folder, ExecutionOptions? options = null, string name = "test.ipynb", CancellationToken cancellationToken = default)
    {
        var path = System.IO.Path.Combine(folder, name);
        NotebookWriter.WriteFile(notebook, path);
        return await new NotebookExecutor().ExecuteFileAsync(path, options, cancellationToken);
    }

    /// <summary>All text/plain data and stream text of a cell, joined, for simple assertions.</summary>
    public static string TextOf(InteractiveDocumentElement cell) => string.Join("|", cell.Outputs.Select(o => o switch
    {
        TextElement s => s.Text,
        var m when m.TryGetData(out var data) && data.TryGetText(MimeTypes.Text, out var t) => t,
        // The real kernel shows numbers and other plain values as text/html <pre> (its "dni-plaintext" formatter).
        var m when m.TryGetData(out var data) && data.TryGetText("text/html", out var h) && System.Text.RegularExpressions.Regex.Match(h, "<pre>(.*?)</pre>", System.Text.RegularExpressions.RegexOptions.Singleline) is { Success: true } pre
            => System.Net.WebUtility.HtmlDecode(pre.Groups[1].Value),
        ErrorElement e => e.ErrorValue,
        _ => "",
    }));
}
