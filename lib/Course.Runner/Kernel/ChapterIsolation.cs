using System.Collections;
using System.Globalization;
using System.Reflection;

namespace Course.Runner.Kernel;

/// <summary>
/// What a kernel worker puts back between two chapters, and what it checks before it may serve the next one in the same
/// process: a chapter's kernel is disposed and a fresh one created, so only process-wide state could carry over.
/// </summary>
/// <remarks>
/// Put back: environment variables, cultures, the formatters' global settings and the lab's one-bundle-per-notebook flag.
/// Checked (Linux, through /proc/self): no socket the chapter opened is still open after a full collection, no process it
/// started is still running, and it loaded no assembly from outside the runtime, the worker's folder and the lab's folder
/// (other code's static state is unknown). A worker that fails a check is replaced, so the next chapter starts in a fresh
/// process as before; where /proc/self is missing (macOS, Windows) every chapter gets a fresh process.
/// </remarks>
internal sealed class ChapterIsolation
{
    private readonly Dictionary<string, string> _environment;
    private readonly CultureInfo _culture = CultureInfo.CurrentCulture;
    private readonly CultureInfo _uiCulture = CultureInfo.CurrentUICulture;
    private readonly CultureInfo? _defaultCulture = CultureInfo.DefaultThreadCurrentCulture;
    private readonly CultureInfo? _defaultUiCulture = CultureInfo.DefaultThreadCurrentUICulture;
    private readonly HashSet<string> _socketsAtStart;

    private ChapterIsolation()
    {
        _environment = Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "", StringComparer.Ordinal);
        _socketsAtStart = OpenSockets() ?? [];
    }

    /// <summary>True where the checks can be made (a /proc/self with fd/ and task/): only there is a worker ever reused.</summary>
    public static bool Supported => Directory.Exists("/proc/self/fd") && Directory.Exists("/proc/self/task");

    /// <summary>Notes the worker's state before its first chapter (after its kernel warmed up).</summary>
    public static ChapterIsolation Capture() => new();

    /// <summary>Puts the process-wide state back after a chapter whose kernel was disposed; returns null when the worker may serve another chapter, else why not.</summary>
    public string? Reset()
    {
        if (!Supported)
        {
            return "this OS has no /proc/self to check what a chapter left behind";
        }

        RestoreEnvironment();
        CultureInfo.CurrentCulture = _culture;
        CultureInfo.CurrentUICulture = _uiCulture;
        CultureInfo.DefaultThreadCurrentCulture = _defaultCulture;
        CultureInfo.DefaultThreadCurrentUICulture = _defaultUiCulture;
        Microsoft.DotNet.Interactive.Formatting.Formatter.ResetToDefault();
        // The lab sends plotly.js with the first chart of a process, meaning the first of a notebook: the next notebook needs it again.
        AddressInUse.Charts.FigureHtml.ResetNotebookBundle();

        // Sockets the chapter's variables held close when their handles are finalized; a socket still open after this is held
        // by something alive (a static field, a running task) and could reach the next chapter's table or ports.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var problems = new List<string>();
        if (OpenSockets() is { } sockets && sockets.Except(_socketsAtStart).Count() is var left and > 0)
        {
            problems.Add($"{left} socket(s) still open");
        }

        if (Children() is { Count: > 0 } children)
        {
            problems.Add($"child process(es) still running (pids {string.Join(", ", children)})");
        }

        if (ForeignAssemblies() is { Count: > 0 } foreign)
        {
            problems.Add($"code loaded from outside the runtime and the lab ({string.Join(", ", foreign.Take(3))})");
        }

        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    private void RestoreEnvironment()
    {
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            var name = (string)entry.Key;
            if (!_environment.ContainsKey(name))
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }

        foreach (var (name, value) in _environment)
        {
            if (Environment.GetEnvironmentVariable(name) != value)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }

    // The inode behind every socket descriptor ("socket:[123]"), or null when /proc/self/fd cannot be read.
    private static HashSet<string>? OpenSockets()
    {
        try
        {
            var sockets = new HashSet<string>(StringComparer.Ordinal);
            foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
            {
                try
                {
                    if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:", StringComparison.Ordinal))
                    {
                        sockets.Add(target);
                    }
                }
                catch (IOException)
                {
                    // The descriptor closed while listed (the enumeration's own one does).
                }
            }

            return sockets;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static List<string>? Children()
    {
        try
        {
            return Directory.EnumerateDirectories("/proc/self/task")
                .SelectMany(task => ReadOrEmpty(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Distinct()
                .ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        static string ReadOrEmpty(string path)
        {
            try
            {
                return File.ReadAllText(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return ""; // The thread ended while listed.
            }
        }
    }

    // Assemblies whose statics nobody here knows how to put back: any file loaded from outside the runtime's folder, the worker's
    // own folder and the folder of the lab a notebook #r's (its dependencies sit beside it). Roslyn's in-memory submissions have no file.
    private static List<string> ForeignAssemblies()
    {
        var loaded = AppDomain.CurrentDomain.GetAssemblies().Where(a => !a.IsDynamic && !string.IsNullOrEmpty(a.Location)).ToList();
        var allowed = new HashSet<string>(StringComparer.Ordinal)
        {
            Folder(typeof(object).Assembly.Location),
            Folder(typeof(ChapterIsolation).Assembly.Location),
        };
        foreach (var lab in loaded.Where(a => a.GetName().Name == typeof(AddressInUse.Charts.FigureHtml).Assembly.GetName().Name))
        {
            allowed.Add(Folder(lab.Location));
        }

        return loaded.Where(a => !allowed.Contains(Folder(a.Location))).Select(a => Path.GetFileName(a.Location)).ToList();

        static string Folder(string path) => Path.GetDirectoryName(Path.GetFullPath(path)) ?? "";
    }
}
