using System.CommandLine;
using Course.Runner.IO;
using Course.Runner.Notebooks;
using Course.Runner.Pipeline;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Cli;

/// <summary>
/// `course lint`: checks the chapter notebooks' Polyglot metadata and cell ids (with --fix adds what is missing), and that every
/// outcome sentence of their markdown is bound to a verdict, a cited source or "not measured here" (<see cref="ProseLint"/>).
/// </summary>
public sealed class LintCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "lint";

    /// <inheritdoc />
    public Command Create(CommandContext context)
    {
        var notebooks = NotebookFolderArguments.Option();
        var fix = new Option<bool>("--fix") { Description = "add the Polyglot metadata and missing cell ids, rewriting the files" };
        var command = new Command("lint", "check the notebooks' Polyglot metadata and cell ids (--fix adds what is missing) and that every outcome sentence is measured, cited or marked \"not measured here\"") { notebooks, fix };
        command.SetAction(parsed => Run(NotebookFolderArguments.Resolve(parsed.GetValue(notebooks), context), parsed.GetValue(fix), context));
        return command;
    }

    private const string ReadOnlyFix = "Fix: make it writable (chmod u+w, or mount it read-write), or run `course lint` without --fix to only check";

    /// <summary>Checks (and with fix, repairs) every chapter notebook of the folder; 0 when nothing is left to fix.</summary>
    public static int Run(string folder, bool fix, CommandContext context)
    {
        var problems = 0;
        // Proved writable before the first fix is written, so a read-only folder gets one line with the fix instead of a stack trace.
        var writable = false;
        foreach (var chapter in ChapterCatalog.Discover(folder))
        {
            InteractiveDocument notebook;
            int formatMinor;
            try
            {
                notebook = NotebookReader.ReadFile(chapter.Path, out formatMinor);
            }
            catch (NotebookFormatException e)
            {
                context.Error.WriteLine(e.Message);
                problems++;
                continue;
            }

            // Prose first: --fix cannot bind a sentence, so its errors stand whatever the metadata says.
            var prose = ProseLint.Check(notebook);
            context.Out.WriteLine($"{chapter.Name}: sentences: {prose.CountsText}");
            foreach (var sentence in prose.Unbound)
            {
                context.Error.WriteLine($"{chapter.Name}: {sentence}");
                problems++;
            }

            var issues = NotebookLint.Check(notebook, formatMinor);
            if (issues.Count == 0)
            {
                context.Out.WriteLine($"{chapter.Name}: ok");
                continue;
            }

            if (fix)
            {
                NotebookLint.Fix(notebook);
                if (!writable)
                {
                    OutputFolder.Prepare(folder, "--notebooks", "course lint --fix", ReadOnlyFix);
                    writable = true;
                }

                try
                {
                    NotebookWriter.WriteFile(notebook, chapter.Path);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new CourseException($"course lint --fix: cannot write {chapter.Path}: {OutputFolder.Reason(e)}. {ReadOnlyFix}.", e);
                }

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

        return problems == 0 ? 0 : 1;
    }
}
