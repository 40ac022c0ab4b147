namespace AddressInUse.Verdicts;

/// <summary>Finds the course's checkout (the folder holding Course.sln): the one walk up the folders that the lab, the runner and the tests share.</summary>
public static class CourseCheckout
{
    /// <summary>The file that marks the checkout's root.</summary>
    public const string MarkerFile = "Course.sln";

    /// <summary>Walks up from each start folder in turn to the first folder holding Course.sln; null when there is none.</summary>
    public static string? FindRoot(params string?[] startFolders)
    {
        foreach (var start in startFolders.Where(s => !string.IsNullOrEmpty(s)))
        {
            for (var dir = new DirectoryInfo(Path.GetFullPath(start!)); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, MarkerFile)))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }
}
