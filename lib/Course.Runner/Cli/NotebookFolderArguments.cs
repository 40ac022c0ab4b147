using System.CommandLine;

namespace Course.Runner.Cli;

/// <summary>The option shared by the verbs that work on the notebooks folder: --notebooks DIR, defaulting to &lt;repo&gt;/notebooks.</summary>
public static class NotebookFolderArguments
{
    /// <summary>A new --notebooks option.</summary>
    public static Option<string> Option() => CliValues.FolderOption("--notebooks", "the chapter notebooks (default: <repo>/notebooks)");

    /// <summary>The folder given with --notebooks (relative to the current folder), or &lt;repo&gt;/notebooks.</summary>
    /// <exception cref="CourseException">No folder given and no repository around the current folder.</exception>
    public static string Resolve(string? given, CommandContext context) =>
        given is not null
            ? Path.GetFullPath(Path.Combine(context.CurrentDirectory, given))
            : RepositoryLayout.NotebooksFolder(RepositoryLayout.RequireRoot(context.CurrentDirectory));
}
