using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

[assembly: InternalsVisibleTo("AddressInUse.Tests")]

namespace AddressInUse.Charts;

/// <summary>What a headless browser saw on a page: how many plotly charts were actually drawn, and the script errors.</summary>
/// <param name="ChartsDrawn">The number of plotly chart containers that hold a drawn SVG plot.</param>
/// <param name="Errors">Script errors, failed resource loads and unhandled promise rejections, in order.</param>
public sealed record PageInspection(int ChartsDrawn, IReadOnlyList<string> Errors)
{
    /// <summary>A one-line summary followed by the errors, one a line.</summary>
    public override string ToString() =>
        $"{ChartsDrawn} chart(s) drawn, {Errors.Count} script error(s)" +
        string.Concat(Errors.Select(e => Environment.NewLine + "  " + e));
}

/// <summary>Finds and runs a headless Chromium-family browser (Chromium, Chrome, Edge) to draw pages offline.</summary>
public static partial class ChromiumBrowser
{
    /// <summary>The error message used when no browser can be found.</summary>
    public const string NotFoundMessage =
        "No Chromium-family browser found; install chromium (Debian: apt-get install chromium), Chrome or Edge, or set COURSE_BROWSER=/path/to/browser";

    /// <summary>The environment variable that names the browser to use (a path, or a program name on PATH).</summary>
    public const string BrowserVariable = "COURSE_BROWSER";

    /// <summary>How long one browser run may take by default before it is stopped.</summary>
    public static TimeSpan DefaultTimeout { get; } = TimeSpan.FromMinutes(2);

    private static readonly string[] PathNames =
        ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "microsoft-edge", "msedge", "chrome"];

    // Virtual time lets the browser fast-forward timers when the page is idle, so generous budgets
    // cost almost nothing. Inspection waits past the charts' 30 s wait for plotly.js, so that a page
    // without plotly.js reports that as an error rather than just "0 charts".
    private static readonly TimeSpan InspectSettle = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan InspectBudget = TimeSpan.FromSeconds(35);

    /// <summary>Observes each browser launch in the current async flow (tests use it to check that nothing is left running).</summary>
    internal static readonly AsyncLocal<Action<BrowserLaunch>?> LaunchObserver = new();

    /// <summary>One browser launch: the browser's process id and its private work directory (profile, crash dumps, page).</summary>
    internal sealed record BrowserLaunch(int ProcessId, string WorkDirectory);

    /// <summary>Returns the browser to use: <c>COURSE_BROWSER</c>, else a known name on PATH, else a standard install location; null if none.</summary>
    public static string? Locate() => Locate(Environment.GetEnvironmentVariable, includeInstallLocations: true).Path;

    /// <summary>Returns the browser to use, or throws <see cref="BrowserNotFoundException"/> saying how to get one.</summary>
    public static string LocateOrThrow() => LocateOrThrow(Environment.GetEnvironmentVariable, includeInstallLocations: true);

    /// <summary>Locates the browser with an injectable environment, or throws <see cref="BrowserNotFoundException"/>.</summary>
    internal static string LocateOrThrow(Func<string, string?> environment, bool includeInstallLocations)
    {
        var (path, problem) = Locate(environment, includeInstallLocations);
        return path ?? throw new BrowserNotFoundException(problem ?? NotFoundMessage);
    }

    /// <summary>Loads an HTML file in a headless browser and returns the DOM after <paramref name="virtualTimeBudget"/> of page time.</summary>
    public static async Task<string> DumpDomAsync(string htmlPath, TimeSpan virtualTimeBudget, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        var full = Path.GetFullPath(htmlPath);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"No HTML page at '{full}' to load in the browser.", full);
        }

        var browser = LocateOrThrow();
        var work = CreateWorkDirectory(browser);
        try
        {
            return await RunAsync(browser, work, new Uri(full).AbsoluteUri, virtualTimeBudget, timeout ?? DefaultTimeout, ct, allowFileAccess: false).ConfigureAwait(false);
        }
        finally
        {
            await DeleteDirectoryAsync(work).ConfigureAwait(false);
        }
    }

    /// <summary>Loads a page in a headless browser and reports how many plotly charts it drew and which script errors occurred.</summary>
    public static async Task<PageInspection> InspectPageAsync(string htmlPath, CancellationToken ct = default)
    {
        var full = Path.GetFullPath(htmlPath);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"No HTML page at '{full}' to inspect.", full);
        }

        // The page is not changed: a copy gets an error collector at the start of <head> and a
        // result writer at the end of <body>; <base> keeps its relative links pointing at the original folder.
        var original = await File.ReadAllTextAsync(full, ct).ConfigureAwait(false);
        var folder = Path.GetDirectoryName(full)!;
        var baseHref = new Uri(folder.EndsWith(Path.DirectorySeparatorChar) ? folder : folder + Path.DirectorySeparatorChar).AbsoluteUri;
        var instrumented = Instrument(original, baseHref, Path.GetFileName(full));

        // Without file access, errors thrown by the page's own .js files next to it arrive only as
        // "Script error." (each file:// URL is its own origin); the pages inspected are the course's own.
        var dom = await DumpHtmlAsync(instrumented, InspectBudget, DefaultTimeout, ct, allowFileAccess: true).ConfigureAwait(false);
        var match = InspectResult().Match(dom);
        if (!match.Success)
        {
            throw new BrowserRunException(
                $"The browser loaded '{full}' but the page never finished loading (no 'load' event within {InspectBudget.TotalSeconds:0} s of page time), " +
                "so nothing could be counted; look for a script that never ends or a resource that never arrives.");
        }

        using var result = JsonDocument.Parse(Convert.FromBase64String(match.Groups[1].Value));
        var errors = result.RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetString() ?? "").ToList();
        return new PageInspection(result.RootElement.GetProperty("charts").GetInt32(), errors);
    }

    /// <summary>Writes <paramref name="html"/> into a private work directory, loads it headless and returns the dumped DOM.</summary>
    internal static async Task<string> DumpHtmlAsync(string html, TimeSpan virtualTimeBudget, TimeSpan timeout, CancellationToken ct, bool allowFileAccess = false)
    {
        var browser = LocateOrThrow();
        var work = CreateWorkDirectory(browser);
        try
        {
            var page = Path.Combine(work, "page.html");

            // With a byte order mark the browser reads UTF-8 whatever the page's own <meta charset> says or where it sits.
            await File.WriteAllTextAsync(page, html, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true), ct).ConfigureAwait(false);
            return await RunAsync(browser, work, new Uri(page).AbsoluteUri, virtualTimeBudget, timeout, ct, allowFileAccess).ConfigureAwait(false);
        }
        finally
        {
            await DeleteDirectoryAsync(work).ConfigureAwait(false);
        }
    }

    /// <summary>A script for the start of a page that records script errors, failed resource loads and unhandled rejections.</summary>
    internal static string ErrorCollectorScript(string pageName) => """
        <script>
        (function () {
          var errors = window.__aiuPageErrors = [];
          var pageName = __PAGE__;
          window.addEventListener("error", function (e) {
            var t = e.target;
            if (t && t !== window && t.tagName) {
              errors.push("Failed to load <" + t.tagName.toLowerCase() + "> " + (t.src || t.href || ""));
              return;
            }
            var file = e.filename === location.href ? pageName : (e.filename || "").replace(/^.*\//, "");
            errors.push((e.message || String(e.error)) + (file ? " (" + file + ":" + e.lineno + ")" : ""));
          }, true);
          window.addEventListener("unhandledrejection", function (e) {
            var r = e.reason;
            errors.push("Unhandled promise rejection: " + (r && r.message ? r.message : String(r)));
          });
        })();
        </script>

        """.Replace("__PAGE__", JsonSerializer.Serialize(pageName));

    /// <summary>A JavaScript function <c>aiuBase64(text)</c> that encodes text as base64 of its UTF-8 bytes.</summary>
    internal const string Base64Function = """
        function aiuBase64(text) {
          var bytes = new TextEncoder().encode(text), binary = "";
          for (var i = 0; i < bytes.length; i += 0x8000) {
            binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
          }
          return btoa(binary);
        }

        """;

    private static string Instrument(string html, string baseHref, string pageName)
    {
        var head = "<meta charset=\"utf-8\">\n";
        if (!BaseTag().IsMatch(html))
        {
            head += $"<base href=\"{System.Net.WebUtility.HtmlEncode(baseHref)}\">\n";
        }

        head += ErrorCollectorScript(pageName);

        // Charts and errors are counted a little after 'load' and then again every 200 ms, so the
        // dump at the end of the budget holds the latest state, including late errors.
        var tail = "<script>\n(function () {\n" + Base64Function + """
              function write() {
                var drawn = 0, plots = document.querySelectorAll(".js-plotly-plot");
                for (var i = 0; i < plots.length; i++) {
                  if (plots[i].querySelector("svg.main-svg")) { drawn++; }
                }
                var out = document.getElementById("aiu-inspect-result");
                if (!out) {
                  out = document.createElement("pre");
                  out.id = "aiu-inspect-result";
                  (document.body || document.documentElement).appendChild(out);
                }
                out.textContent = aiuBase64(JSON.stringify({ charts: drawn, errors: window.__aiuPageErrors || [] }));
              }
              function start() { setTimeout(function () { write(); setInterval(write, 200); }, __SETTLE__); }
              if (document.readyState === "complete") { start(); } else { window.addEventListener("load", start); }
            })();
            </script>

            """.Replace("__SETTLE__", ((int)InspectSettle.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture));

        var headTag = HeadTag().Match(html);
        var htmlTag = HtmlTag().Match(html);
        var doctype = Doctype().Match(html);
        var insertAt = headTag.Success ? headTag.Index + headTag.Length
            : htmlTag.Success ? htmlTag.Index + htmlTag.Length
            : doctype.Success ? doctype.Index + doctype.Length
            : 0;
        html = html.Insert(insertAt, "\n" + head);

        var bodyEnd = html.LastIndexOf("</body", StringComparison.OrdinalIgnoreCase);
        return bodyEnd >= 0 ? html.Insert(bodyEnd, tail) : html + tail;
    }

    /// <summary>Locates the browser with an injectable environment; returns the path, or the problem to report.</summary>
    internal static (string? Path, string? Problem) Locate(Func<string, string?> environment, bool includeInstallLocations)
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

    private static string CreateWorkDirectory(string browser)
    {
        // A snap-packaged Chromium (Ubuntu) has a private /tmp and cannot read files in ours, but it
        // can read non-hidden folders in the home directory.
        if (IsSnap(browser) && Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home)
        {
            var dir = Path.Combine(home, "aiu-chromium-work", "aiu-chromium-" + Guid.NewGuid().ToString("N")[..12]);
            return Directory.CreateDirectory(dir).FullName;
        }

        return Directory.CreateTempSubdirectory("aiu-chromium-").FullName;
    }

    private static bool IsSnap(string browser)
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

    private static async Task<string> RunAsync(
        string browser, string work, string url, TimeSpan virtualTimeBudget, TimeSpan timeout, CancellationToken ct, bool allowFileAccess)
    {
        ct.ThrowIfCancellationRequested();
        var start = new ProcessStartInfo
        {
            FileName = browser,
            UseShellExecute = false,
            CreateNoWindow = true,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };

        // Without the background-networking, component-update and sync switches Chromium tries to
        // reach Google's servers and logs failures; there is no network here and nothing to fetch.
        foreach (var argument in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--disable-extensions", "--disable-dev-shm-usage", "--hide-scrollbars",
                     "--user-data-dir=" + Path.Combine(work, "profile"),
                     "--virtual-time-budget=" + ((long)virtualTimeBudget.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--dump-dom", url,
                 })
        {
            start.ArgumentList.Add(argument);
        }

        if (allowFileAccess)
        {
            start.ArgumentList.Add("--allow-file-access-from-files");
        }

        if (OperatingSystem.IsLinux())
        {
            // Crash reports and the dconf cache would otherwise go to ~/.config/chromium and ~/.cache;
            // keeping them in the work directory leaves nothing behind, and marks every helper
            // process (the crash handler too) with the work path so it can be found and ended.
            start.Environment["BREAKPAD_DUMP_LOCATION"] = Path.Combine(work, "crash");
            start.Environment["XDG_CACHE_HOME"] = Path.Combine(work, "cache");
        }

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new BrowserRunException(
                $"Could not start the browser '{browser}' ({e.Message}); check that it is a Chromium, Chrome or Edge executable, or set {BrowserVariable}.",
                inner: e);
        }

        var stderr = new StderrTail();
        Task<string>? stdoutTask = null;
        Task? stderrTask = null;
        try
        {
            process.StandardInput.Close();
            stdoutTask = process.StandardOutput.ReadToEndAsync();
            stderrTask = stderr.ReadAsync(process.StandardError);
            LaunchObserver.Value?.Invoke(new BrowserLaunch(process.Id, work));

            using var timeoutSource = new CancellationTokenSource(timeout);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeoutSource.Token);
            try
            {
                await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new BrowserRunException(
                    $"The browser did not finish '{url}' within {timeout.TotalSeconds:0.#} s and was stopped; " +
                    "the page may run a script that never ends.",
                    stderr.Text);
            }

            // Helpers of the browser may still hold the output pipe open for a moment; end them first.
            await EndProcessesAsync(process, work).ConfigureAwait(false);
            var dom = await stdoutTask.WaitAsync(TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            await stderrTask.WaitAsync(TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            if (dom.Length == 0)
            {
                throw new BrowserRunException(
                    $"The browser '{browser}' exited with code {process.ExitCode} without printing the page's DOM for '{url}'.",
                    stderr.Text);
            }

            return dom;
        }
        finally
        {
            // Runs on success, error, timeout and cancellation alike: no browser process outlives this call.
            await EndProcessesAsync(process, work).ConfigureAwait(false);
            await IgnoreFailure(stdoutTask).ConfigureAwait(false);
            await IgnoreFailure(stderrTask).ConfigureAwait(false);
        }
    }

    private static async Task IgnoreFailure(Task? task)
    {
        if (task is null)
        {
            return;
        }

        try
        {
            await task.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The pipes of a killed browser may end in an error or stay open; the result is not needed.
        }
    }

    /// <summary>Ends the browser's process tree and (on Linux) every process whose command line names the work directory.</summary>
    private static async Task EndProcessesAsync(Process process, string work)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // It exited between the check and the kill.
        }

        try
        {
            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(exited.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Reported below only if helpers are still alive; the kill above is all that can be done.
        }

        // Helpers reparented after the browser exited are no longer in its tree; the crash handler
        // never was. They all carry the work path (profile or crash directory) in their arguments.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var left = ProcessesMentioning(work);
            if (left.Count == 0)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new BrowserRunException(
                    $"Browser helper processes {string.Join(", ", left)} would not end; stop them by hand (kill -9).");
            }

            foreach (var pid in left)
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

            await Task.Delay(20).ConfigureAwait(false);
        }
    }

    /// <summary>On Linux, the ids of live (non-zombie) processes whose command line contains <paramref name="text"/>.</summary>
    internal static List<int> ProcessesMentioning(string text)
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

    private static async Task DeleteDirectoryAsync(string path)
    {
        // Files can stay busy for a moment after their process ended (notably on Windows).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            try
            {
                if (Directory.Exists(path))
                {
                    Directory.Delete(path, recursive: true);
                }

                var parent = Path.GetDirectoryName(path);
                if (parent is not null && Path.GetFileName(parent) == "aiu-chromium-work" && !Directory.EnumerateFileSystemEntries(parent).Any())
                {
                    Directory.Delete(parent);
                }

                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (DateTime.UtcNow > deadline)
                {
                    // Throwing here would hide the result or the real error of the run.
                    Console.Error.WriteLine($"warning: could not delete the browser's temporary folder '{path}' ({e.Message}); delete it by hand.");
                    return;
                }

                await Task.Delay(50).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Keeps the last meaningful lines of the browser's error output for error messages.</summary>
    private sealed class StderrTail
    {
        private readonly Queue<string> _lines = new();

        public string Text
        {
            get
            {
                lock (_lines)
                {
                    return string.Join("\n", _lines);
                }
            }
        }

        public async Task ReadAsync(StreamReader reader)
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                // D-Bus complaints and the Debian wrapper's shell warning are noise in a headless run.
                if (line.Contains("dbus", StringComparison.OrdinalIgnoreCase) || line.Contains("unexpected operator", StringComparison.Ordinal))
                {
                    continue;
                }

                lock (_lines)
                {
                    _lines.Enqueue(line);
                    if (_lines.Count > 20)
                    {
                        _lines.Dequeue();
                    }
                }
            }
        }
    }

    [GeneratedRegex(@"<pre id=""aiu-inspect-result"">([A-Za-z0-9+/=]*)</pre>")]
    private static partial Regex InspectResult();

    [GeneratedRegex(@"<base\b", RegexOptions.IgnoreCase)]
    private static partial Regex BaseTag();

    [GeneratedRegex(@"<head\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex HeadTag();

    [GeneratedRegex(@"<html\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex HtmlTag();

    [GeneratedRegex(@"^\s*<!DOCTYPE[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex Doctype();
}
