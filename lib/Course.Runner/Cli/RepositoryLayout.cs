using Course.Runner.Results;

namespace Course.Runner.Cli;

/// <summary>Finds the course repository and its default folders (notebooks/, out/&lt;os&gt;/, images/&lt;os&gt;/).</summary>
public static class RepositoryLayout
{
    /// <summary>The file that marks the repository root.</summary>
    public const string MarkerFile = AddressInUse.Verdicts.CourseCheckout.MarkerFile;

    /// <summary>Walks up from each start folder to the first folder holding Course.sln; null when there is none.</summary>
    public static string? FindRoot(params string[] startFolders) => AddressInUse.Verdicts.CourseCheckout.FindRoot(startFolders);

    /// <summary>Finds the root from the current folder, then from the runner's own folder.</summary>
    /// <exception cref="CourseException">Neither is inside the repository.</exception>
    public static string RequireRoot(string currentDirectory)
    {
        return FindRoot(currentDirectory, AppContext.BaseDirectory) ?? throw new CourseException(
            $"Cannot find the course repository (a folder holding {MarkerFile}) above {currentDirectory} or {AppContext.BaseDirectory}. "
            + "Fix: run the command from inside the repository, or pass --notebooks, --out and --images.");
    }

    /// <summary>The default notebooks folder: &lt;root&gt;/notebooks.</summary>
    public static string NotebooksFolder(string root) => Path.Combine(root, "notebooks");

    /// <summary>The default output folder: &lt;root&gt;/out/&lt;os&gt;.</summary>
    public static string OutFolder(string root) => Path.Combine(root, "out", OsInfo.Family);

    /// <summary>The default images folder: &lt;root&gt;/images/&lt;os&gt;.</summary>
    public static string ImagesFolder(string root) => Path.Combine(root, "images", OsInfo.Family);
}
