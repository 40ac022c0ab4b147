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

            if (match.Groups["kind"].Value == "runner-" && File.Exists(path))
            {
                // A runner killed by SIGKILL: the .NET runtime's own files of that process (named by its pid) in its temp folder.
                RemoveRuntimeFiles(path, int.Parse(match.Groups["pid"].Value, CultureInfo.InvariantCulture));
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

    /// <summary>Writes the marker of a live run in the folder: its pid and temp folder, so that if it is killed the next run removes the runtime's files it left.</summary>
    /// <returns>The marker's path, to delete when the run ends.</returns>
    public static string MarkRun(string folder)
    {
        var path = Path.Combine(folder, $"{RunnerPrefix}{Environment.ProcessId}-{Guid.NewGuid():N}");
        File.WriteAllText(path, Path.GetTempPath());
        return path;
    }

    /// <summary>The prefix of a run's marker file (".course-tmp-runner-&lt;pid&gt;-&lt;guid&gt;").</summary>
    public const string RunnerPrefix = ".course-tmp-runner-";

    private static void RemoveRuntimeFiles(string marker, int pid)
    {
        try
        {
            var temp = File.ReadAllText(marker).Trim();
            if (!Directory.Exists(temp))
            {
                return;
            }

            // The runtime's debugger pipes and diagnostics socket: clr-debug-pipe-<pid>-<time>-in/out, dotnet-diagnostic-<pid>-<time>-socket.
            foreach (var pattern in new[] { $"clr-debug-pipe-{pid}-*", $"dotnet-diagnostic-{pid}-*" })
            {
                foreach (var file in Directory.EnumerateFileSystemEntries(temp, pattern))
                {
                    Delete(file);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the marker is removed anyway.
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

    // AtomicFile's ".<name>.course-tmp-<pid>-<guid>", CourseRun's ".course-tmp-images-<pid>-<guid>", FileSet's ".course-tmp-backup-<pid>-<guid>"
    // and a run's marker ".course-tmp-runner-<pid>-<guid>".
    [GeneratedRegex(@"\.course-tmp-(?<kind>images-|backup-|runner-)?(?<pid>\d{1,9})-[0-9a-f]{32}$")]
    private static partial Regex Marker();
}
