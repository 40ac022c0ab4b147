using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Course.Runner.IO;

/// <summary>Finds and removes the temp files and staging folders a killed run left (their names carry the writer's process id), never those of a run still alive.</summary>
public static partial class Leftovers
{
    /// <summary>Removes, in the folder (not below it), every course temp file or folder whose process is gone.</summary>
    /// <returns>The paths removed.</returns>
    public static IReadOnlyList<string> Sweep(string folder)
    {
        var removed = new List<string>();
        if (!Directory.Exists(folder))
        {
            return removed;
        }

        foreach (var path in Directory.EnumerateFileSystemEntries(folder))
        {
            var match = Marker().Match(Path.GetFileName(path));
            if (!match.Success || IsAlive(int.Parse(match.Groups["pid"].Value, CultureInfo.InvariantCulture)))
            {
                continue;
            }

            if (match.Groups["kind"].Value == "backup-" && Directory.Exists(path))
            {
                // A run killed while it replaced the committed files: put the previous set back (FileSet's journal).
                FileSet.RollBack(path);
            }

            if (Delete(path))
            {
                removed.Add(path);
            }
        }

        return removed;
    }

    /// <summary>Removes a file or folder if it exists; true when it is gone afterwards.</summary>
    public static bool Delete(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
            else if (File.Exists(path))
            {
                File.Delete(path);
            }

            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static bool IsAlive(int pid)
    {
        if (pid == Environment.ProcessId)
        {
            return true;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    // AtomicFile's ".<name>.course-tmp-<pid>-<guid>", RunCommand's ".course-tmp-images-<pid>-<guid>" and FileSet's ".course-tmp-backup-<pid>-<guid>".
    [GeneratedRegex(@"\.course-tmp-(?<kind>images-|backup-)?(?<pid>\d{1,9})-[0-9a-f]{32}$")]
    private static partial Regex Marker();
}
