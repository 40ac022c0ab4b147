namespace Course.Runner.Images;

/// <summary>Finds the system's Chromium-family browser (Chromium, Chrome, Edge); the course never downloads one.</summary>
public static class BrowserLocator
{
    /// <summary>The error message used when no browser can be found.</summary>
    public const string NotFoundMessage =
        "No Chromium-family browser found; install chromium (Debian: apt-get install chromium), Chrome or Edge, or set COURSE_BROWSER=/path/to/browser";

    /// <summary>The environment variable that names the browser to use (a path, or a program name on PATH).</summary>
    public const string BrowserVariable = "COURSE_BROWSER";

    private static readonly string[] PathNames =
        ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "microsoft-edge", "msedge", "chrome"];

    /// <summary>Returns the browser to use: <c>COURSE_BROWSER</c>, else a known name on PATH, else a standard install location; null if none.</summary>
    public static string? Locate() => Locate(Environment.GetEnvironmentVariable, includeInstallLocations: true).Path;

    /// <summary>Returns the browser to use, or throws <see cref="BrowserNotFoundException"/> saying how to get one.</summary>
    public static string LocateOrThrow() => LocateOrThrow(Environment.GetEnvironmentVariable, includeInstallLocations: true);

    /// <summary>Locates the browser with an injectable environment, or throws <see cref="BrowserNotFoundException"/>.</summary>
    public static string LocateOrThrow(Func<string, string?> environment, bool includeInstallLocations)
    {
        var (path, problem) = Locate(environment, includeInstallLocations);
        return path ?? throw new BrowserNotFoundException(problem ?? NotFoundMessage);
    }

    /// <summary>Locates the browser with an injectable environment; returns the path, or the problem to report.</summary>
    public static (string? Path, string? Problem) Locate(Func<string, string?> environment, bool includeInstallLocations)
    {
        var pathVariable = environment("PATH") ?? "";
        var extensions = OperatingSystem.IsWindows()
            ? (environment("PATHEXT") ?? ".EXE").Split(';', StringSplitOptions.RemoveEmptyEntries)
            : [];

        var chosen = environment(BrowserVariable);
        if (!string.IsNullOrWhiteSpace(chosen))
        {
            chosen = chosen.Trim().Trim('"');
            var found = chosen.IndexOfAny(['/', '\\']) >= 0 || Path.IsPathRooted(chosen)
                ? (IsExecutable(chosen) ? Path.GetFullPath(chosen) : null)
                : FindOnPath(chosen, pathVariable, extensions);

            // A set-but-wrong COURSE_BROWSER is a mistake to report, not a reason to silently use another browser.
            return found is not null
                ? (found, null)
                : (null, $"{BrowserVariable} is set to '{chosen}', but no executable file is there (or on PATH); " +
                         "point it at a Chromium, Chrome or Edge executable, or unset it. " + NotFoundMessage);
        }

        foreach (var name in PathNames)
        {
            if (FindOnPath(name, pathVariable, extensions) is { } onPath)
            {
                return (onPath, null);
            }
        }

        if (includeInstallLocations)
        {
            foreach (var candidate in InstallLocations(environment))
            {
                if (IsExecutable(candidate))
                {
                    return (candidate, null);
                }
            }
        }

        return (null, null);
    }

    private static IEnumerable<string> InstallLocations(Func<string, string?> environment)
    {
        if (OperatingSystem.IsWindows())
        {
            foreach (var root in new[] { environment("ProgramFiles"), environment("ProgramFiles(x86)"), environment("LOCALAPPDATA") })
            {
                if (!string.IsNullOrEmpty(root))
                {
                    yield return Path.Combine(root, "Google", "Chrome", "Application", "chrome.exe");
                    yield return Path.Combine(root, "Microsoft", "Edge", "Application", "msedge.exe");
                    yield return Path.Combine(root, "Chromium", "Application", "chrome.exe");
                }
            }
        }
        else if (OperatingSystem.IsMacOS())
        {
            var home = environment("HOME");
            foreach (var root in new[] { "/Applications", string.IsNullOrEmpty(home) ? null : Path.Combine(home, "Applications") })
            {
                if (root is not null)
                {
                    yield return Path.Combine(root, "Google Chrome.app", "Contents", "MacOS", "Google Chrome");
                    yield return Path.Combine(root, "Microsoft Edge.app", "Contents", "MacOS", "Microsoft Edge");
                    yield return Path.Combine(root, "Chromium.app", "Contents", "MacOS", "Chromium");
                }
            }
        }
    }

    private static string? FindOnPath(string name, string pathVariable, string[] extensions)
    {
        foreach (var folder in pathVariable.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder.Trim('"'), name);
            if (IsExecutable(candidate))
            {
                return Path.GetFullPath(candidate);
            }

            foreach (var extension in extensions)
            {
                if (IsExecutable(candidate + extension))
                {
                    return Path.GetFullPath(candidate + extension);
                }
            }
        }

        return null;
    }

    private static bool IsExecutable(string path)
    {
        try
        {
            if (!File.Exists(path))
            {
                return false;
            }

            if (OperatingSystem.IsWindows())
            {
                return true;
            }

            const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
            return (File.GetUnixFileMode(path) & anyExecute) != 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return false;
        }
    }

    /// <summary>True for a snap-packaged Chromium (Ubuntu), which has a private /tmp and cannot read files in ours.</summary>
    public static bool IsSnap(string browser)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            var target = new FileInfo(browser).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? browser;
            if (browser.StartsWith("/snap/", StringComparison.Ordinal) || target.StartsWith("/snap/", StringComparison.Ordinal))
            {
                return true;
            }

            // Ubuntu's /usr/bin/chromium-browser is a small shell script that runs the snap.
            var info = new FileInfo(target);
            return info.Length < 16 * 1024 && File.ReadAllText(target).Contains("/snap/", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
