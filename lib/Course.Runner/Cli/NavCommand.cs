using System.CommandLine;
using Course.Runner.Html;
using Course.Runner.IO;
using Course.Runner.Notebooks;
using Course.Runner.Pipeline;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Cli;

/// <summary>`course nav`: writes the previous/contents/next cell at the end of every chapter notebook from the notebook list; re-running changes nothing.</summary>
public sealed class NavCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "nav";

    /// <inheritdoc />
    public Command Create(CommandContext context)
    {
        var notebooks = NotebookFolderArguments.Option();
        var check = new Option<bool>("--check") { Description = "change nothing; exit 1 when a notebook's navigation or the README's chapter table (README.md beside the notebooks folder) is missing or out of date" };
        var command = new Command("nav", "write the previous/next navigation cell of every chapter notebook and the README's chapter table (idempotent)") { notebooks, check };
        command.SetAction(parsed => Run(NotebookFolderArguments.Resolve(parsed.GetValue(notebooks), context), parsed.GetValue(check), context));
        return command;
    }

    /// <summary>Writes (or with check, only compares) the navigation cell of every chapter notebook of the folder.</summary>
    public static int Run(string folder, bool check, CommandContext context)
    {
        var catalog = ChapterCatalog.Discover(folder);
        // Read every notebook first: a broken one must not leave the others half-updated with links to it.
        var notebooks = new List<(Chapter Chapter, InteractiveDocument Notebook, string Text)>();
        foreach (var chapter in catalog)
        {
            var text = NotebookReader.ReadText(chapter.Path);
            notebooks.Add((chapter, NotebookReader.Parse(text, chapter.Path), text));
        }

        var titles = notebooks.Select(n => ChapterPageRenderer.TitleOf(n.Notebook, n.Chapter.Name)).ToList();
        // The chapter map (a cell with the README's table markers, e.g. chapter 00's) links the notebooks by file name.
        var mapRows = notebooks.Select(n => new ReadmeChapterTable.Row(Path.GetFileName(n.Chapter.Path), ChapterSummary.Of(n.Notebook, n.Chapter.Name))).ToList();
        var stale = 0;
        // Proved writable before the first write, so a read-only folder gets one line with the fix and no notebook is half-updated.
        var writable = false;
        for (var i = 0; i < notebooks.Count; i++)
        {
            var (chapter, notebook, text) = notebooks[i];
            var markdown = NavigationCell.Markdown(
                i > 0 ? (Path.GetFileName(notebooks[i - 1].Chapter.Path), titles[i - 1]) : null,
                i + 1 < notebooks.Count ? (Path.GetFileName(notebooks[i + 1].Chapter.Path), titles[i + 1]) : null,
                accountability: NavigationCell.AccountabilityLine(ProseLint.Check(notebook)));
            NavigationCell.Apply(notebook, markdown);
            // A verdict cell added since the last run shows its verdict, not its code, in VS Code, Jupyter and the pages.
            foreach (var cell in notebook.Elements.Where(VerdictCells.IsVerdict))
            {
                VerdictCells.HideSource(cell);
            }

            foreach (var cell in notebook.Elements.Where(c => c.IsMarkdown() && ReadmeChapterTable.HasMarkers(c.Contents)))
            {
                cell.Contents = ReadmeChapterTable.Apply(cell.Contents, ReadmeChapterTable.Table(mapRows)).TrimEnd('\n');
            }

            var updated = NotebookWriter.Serialize(notebook);
            // Compare the bytes, not the cell: a file in another JSON layout is rewritten once and then stays put.
            if (updated == text)
            {
                context.Out.WriteLine($"{chapter.Name}: unchanged");
                continue;
            }

            stale++;
            if (check)
            {
                context.Out.WriteLine($"{chapter.Name}: navigation out of date");
                continue;
            }

            if (!writable)
            {
                OutputFolder.Prepare(folder, "--notebooks", "course nav", ReadOnlyFix);
                writable = true;
            }

            Write(chapter.Path, updated, "--notebooks");
            context.Out.WriteLine($"{chapter.Name}: navigation written");
        }

        stale += WriteReadmeTable(folder, notebooks.Select(n => (n.Chapter, n.Notebook)).ToList(), check, context);

        if (check && stale > 0)
        {
            context.Error.WriteLine($"{stale} file(s) (notebooks, README.md) need `course nav`. Fix: dotnet run --project lib/Course.Runner -- nav");
            return 1;
        }

        return 0;
    }

    private const string ReadOnlyFix = "Fix: make it writable (chmod u+w, or mount it read-write), or run `course nav --check` to only compare";

    // The folder was proved writable a moment ago; a write that still fails (disk full, a file made read-only) is the user's to fix, not a bug.
    private static void Write(string path, string text, string option)
    {
        try
        {
            AtomicFile.WriteAllText(path, text);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CourseException($"course nav: cannot write {path} ({option}): {OutputFolder.Reason(e)}. {ReadOnlyFix}.", e);
        }
    }

    /// <summary>Rewrites the chapter table of the README beside the notebooks folder (if it has the markers); returns 1 when it was out of date.</summary>
    private static int WriteReadmeTable(string folder, IReadOnlyList<(Chapter Chapter, InteractiveDocument Notebook)> notebooks, bool check, CommandContext context)
    {
        var root = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
        var readmePath = root is null ? null : Path.Combine(root, "README.md");
        if (readmePath is null || !File.Exists(readmePath))
        {
            return 0;
        }

        var text = File.ReadAllText(readmePath);
        if (!ReadmeChapterTable.HasMarkers(text))
        {
            context.Out.WriteLine($"README.md: no chapter-table markers, left alone (add {ReadmeChapterTable.BeginMarker} and {ReadmeChapterTable.EndMarker} to generate the table)");
            return 0;
        }

        var rows = notebooks.Select(n => new ReadmeChapterTable.Row(Path.GetRelativePath(root!, n.Chapter.Path), ChapterSummary.Of(n.Notebook, n.Chapter.Name)));
        var updated = ReadmeChapterTable.Apply(text, ReadmeChapterTable.Table(rows));
        if (updated == text)
        {
            context.Out.WriteLine("README.md: chapter table unchanged");
            return 0;
        }

        if (check)
        {
            context.Out.WriteLine("README.md: chapter table out of date");
            return 1;
        }

        // Beside and renamed into place, so a kill never leaves half a README.
        OutputFolder.Prepare(root!, "--notebooks", "course nav", ReadOnlyFix);
        Write(readmePath, updated, "--notebooks");
        context.Out.WriteLine("README.md: chapter table written");
        return 1;
    }
}
