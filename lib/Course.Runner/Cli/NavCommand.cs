using System.CommandLine;
using Course.Runner.IO;
using Course.Runner.Html;
using Course.Runner.Notebooks;

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
        var check = new Option<bool>("--check") { Description = "change nothing; exit 1 when a notebook's navigation is missing or out of date" };
        var command = new Command("nav", "write the previous/next navigation cell at the end of every chapter notebook (idempotent)") { notebooks, check };
        command.SetAction(parsed => Run(NotebookFolderArguments.Resolve(parsed.GetValue(notebooks), context), parsed.GetValue(check), context));
        return command;
    }

    /// <summary>Writes (or with check, only compares) the navigation cell of every chapter notebook of the folder.</summary>
    public static int Run(string folder, bool check, CommandContext context)
    {
        var catalog = ChapterCatalog.Discover(folder);
        // Read every notebook first: a broken one must not leave the others half-updated with links to it.
        var notebooks = new List<(Chapter Chapter, Notebook Notebook, string Text)>();
        foreach (var chapter in catalog)
        {
            var text = File.ReadAllText(chapter.Path);
            notebooks.Add((chapter, NotebookReader.Parse(text, chapter.Path), text));
        }

        var titles = notebooks.Select(n => ChapterPageRenderer.TitleOf(n.Notebook, n.Chapter.Name)).ToList();
        var stale = 0;
        for (var i = 0; i < notebooks.Count; i++)
        {
            var (chapter, notebook, text) = notebooks[i];
            var markdown = NavigationCell.Markdown(
                i > 0 ? (Path.GetFileName(notebooks[i - 1].Chapter.Path), titles[i - 1]) : null,
                i + 1 < notebooks.Count ? (Path.GetFileName(notebooks[i + 1].Chapter.Path), titles[i + 1]) : null);
            NavigationCell.Apply(notebook, markdown);
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

            AtomicFile.WriteAllText(chapter.Path, updated);
            context.Out.WriteLine($"{chapter.Name}: navigation written");
        }

        if (check && stale > 0)
        {
            context.Error.WriteLine($"{stale} notebook(s) need `course nav`. Fix: dotnet run --project lib/Course.Runner -- nav");
            return 1;
        }

        return 0;
    }
}
