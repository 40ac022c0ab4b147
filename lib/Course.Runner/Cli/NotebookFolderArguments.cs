namespace Course.Runner.Cli;

/// <summary>The command line shared by the commands that work on the notebooks folder: an optional --notebooks DIR and one switch.</summary>
public static class NotebookFolderArguments
{
    /// <summary>Parses "[--notebooks DIR] [switch]"; the folder defaults to &lt;repo&gt;/notebooks; anything else is a usage error.</summary>
    public static (string Folder, bool Switch) Parse(IReadOnlyList<string> args, CommandContext context, string switchName)
    {
        string? folder = null;
        var on = false;
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == switchName)
            {
                on = true;
            }
            else if (args[i] == "--notebooks")
            {
                if (i + 1 >= args.Count)
                {
                    throw new UsageException("--notebooks needs a value.");
                }
                folder = Path.GetFullPath(Path.Combine(context.CurrentDirectory, args[++i]));
            }
            else
            {
                throw new UsageException(args[i].StartsWith('-') ? $"Unknown option {args[i]}." : $"Unexpected argument {args[i]}.");
            }
        }
        return (folder ?? RepositoryLayout.NotebooksFolder(RepositoryLayout.RequireRoot(context.CurrentDirectory)), on);
    }
}
