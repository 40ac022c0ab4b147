using Course.Runner.Notebooks;

namespace Course.Runner.Cli;

/// <summary>`course lint`: checks the chapter notebooks' Polyglot metadata and cell ids, and with --fix adds what is missing.</summary>
public sealed class LintCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "lint";

    /// <inheritdoc />
    public string Summary => "check the notebooks' Polyglot metadata and cell ids (--fix adds what is missing)";

    /// <inheritdoc />
    public string Usage => """
        course lint [--notebooks DIR] [--fix]

          --notebooks DIR   the chapter notebooks (default: <repo>/notebooks)
          --fix             add the Polyglot metadata and missing cell ids, rewriting the files
        """;

    /// <inheritdoc />
    public Task<int> RunAsync(IReadOnlyList<string> args, CommandContext context)
    {
        var (folder, fix) = NotebookFolderArguments.Parse(args, context, "--fix");
        var problems = 0;
        foreach (var chapter in ChapterCatalog.Discover(folder))
        {
            Notebook notebook;
            try
            {
                notebook = NotebookReader.ReadFile(chapter.Path);
            }
            catch (NotebookFormatException e)
            {
                context.Error.WriteLine(e.Message);
                problems++;
                continue;
            }

            var issues = NotebookLint.Check(notebook);
            if (issues.Count == 0)
            {
                context.Out.WriteLine($"{chapter.Name}: ok");
                continue;
            }

            if (fix)
            {
                NotebookLint.Fix(notebook);
                NotebookWriter.WriteFile(notebook, chapter.Path);
                var left = NotebookLint.Check(notebook);
                context.Out.WriteLine($"{chapter.Name}: fixed {issues.Count - left.Count} issue(s)");
                issues = left;
            }

            foreach (var issue in issues)
            {
                context.Error.WriteLine($"{chapter.Name}: {issue}");
                problems++;
            }
        }

        return Task.FromResult(problems == 0 ? 0 : 1);
    }
}
