using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Course.Runner.Images;

/// <summary>
/// The browser's private work folders (profile, crash dumps, cache), named after the process that owns them
/// (<c>aiu-browser-&lt;pid&gt;-&lt;start&gt;-&lt;random&gt;</c>) so that a later run can sweep the ones a killed run left behind.
/// </summary>
public static class BrowserWorkFolders
{
    /// <summary>The name prefix of every work folder.</summary>
    public const string Prefix = "aiu-browser-";

    /// <summary>The folder the work folders go in: the system temp folder, or ~/aiu-browser-work for a snap browser (its /tmp is private).</summary>
    public static string Root(string browser)
    {
        if (BrowserLocator.IsSnap(browser) && Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home)
        {
            return Directory.CreateDirectory(Path.Combine(home, "aiu-browser-work")).FullName;
        }

        return Path.GetTempPath();
    }

    /// <summary>Creates a new work folder owned by this process under <paramref name="root"/>.</summary>
    public static string Create(string root)
    {
        var name = $"{Prefix}{Environment.ProcessId}-{OwnStart}-{Guid.NewGuid().ToString("N")[..12]}";
        return Directory.CreateDirectory(Path.Combine(root, name)).FullName;
    }

    /// <summary>Deletes every work folder under <paramref name="root"/> whose owner process is gone (ending browser processes still using it); returns the deleted paths.</summary>
    public static IReadOnlyList<string> SweepStale(string root)
    {
        var swept = new List<string>();
        if (!Directory.Exists(root))
        {
            return swept;
        }

        foreach (var folder in Directory.EnumerateDirectories(root, Prefix + "*"))
        {
            if (!IsStale(folder))
            {
                continue;
            }

            KillProcessesUsing(folder);
            if (TryDelete(folder))
            {
                swept.Add(folder);
            }
        }

        return swept;
    }

    /// <summary>True when the folder is a work folder whose owning process no longer runs.</summary>
    public static bool IsStale(string folder)
    {
        var name = Path.GetFileName(folder);
        if (!name.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var parts = name[Prefix.Length..].Split('-');
        if (parts.Length < 3 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var start))
        {
            return false;
        }

        return !IsRunning(pid, start);
    }

    /// <summary>Ends the process tree of <paramref name="process"/> and, on Linux, every process whose command line names <paramref name="folder"/>.</summary>
    public static void KillProcessesUsing(string folder, Process? process = null)
    {
        try
        {
            if (process is { HasExited: false })
            {
                AddressInUse.Child.ProcessTree.Kill(process);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // It exited between the check and the kill.
        }

        // Helpers reparented after the browser exited are no longer in its tree; the crash handler never
        // was. They all carry the work folder (profile, crash dumps) in their arguments.
        foreach (var pid in ProcessesMentioning(folder))
        {
            try
            {
                using var straggler = Process.GetProcessById(pid);
                straggler.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or Win32Exception)
            {
                // Already gone.
            }
        }
    }

    /// <summary>On Linux, the ids of live (non-zombie) processes other than this one whose command line contains <paramref name="text"/>.</summary>
    public static List<int> ProcessesMentioning(string text)
    {
        var found = new List<int>();
        if (!OperatingSystem.IsLinux())
        {
            return found;
        }

        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                // A zombie's cmdline is empty, so only processes that still run are matched.
                var cmdline = File.ReadAllBytes(Path.Combine(dir, "cmdline"));
                if (cmdline.Length > 0 && Encoding.UTF8.GetString(cmdline).Contains(text, StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while being looked at.
            }
        }

        return found;
    }

    /// <summary>Deletes the folder, retrying briefly while its files are still busy; false if it could not.</summary>
    public static bool TryDelete(string folder)
    {
        // Files can stay busy for a moment after their process ended (notably on Windows).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (true)
        {
            try
            {
                if (Directory.Exists(folder))
                {
                    Directory.Delete(folder, recursive: true);
                }

                return true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (DateTime.UtcNow > deadline)
                {
                    return false;
                }

                Thread.Sleep(50);
            }
        }
    }

    // The owner's start time tells a live owner from a new process that reuses its pid.
    private static readonly long OwnStart = StartOf(Process.GetCurrentProcess()) ?? 0;

    private static bool IsRunning(int pid, long start)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited && (StartOf(process) is not { } actual || actual == start);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    private static long? StartOf(Process process)
    {
        try
        {
            // Seconds are enough to tell processes apart and survive the rounding of /proc's start time.
            return new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeSeconds();
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            return null;
        }
    }
}
