using System.Diagnostics;
using System.Text.Json.Nodes;

namespace AddressInUse.Tests.Measurement;

/// <summary>
/// Runs the library's measure verb through the Windows code path under Wine: a win-x64 self-contained publish,
/// started with wine64 in a throw-away WINEPREFIX with no window system. The publish and the run happen once per test run.
/// </summary>
public sealed class WineRun : IAsyncLifetime
{
    /// <summary>wine64's path (PATH, or Debian's /usr/lib/wine/wine64), or null where Wine is not installed.</summary>
    public static string? Wine64 { get; } = Find("wine64", "/usr/lib/wine/wine64");

    /// <summary>wineserver's path, or null.</summary>
    public static string? WineServer { get; } = Find("wineserver", "/usr/lib/wine/wineserver", "/usr/lib/wine/wineserver64");

    /// <summary>Why the Wine tests cannot run here, or null.</summary>
    public static string? SkipReason =>
        !OperatingSystem.IsLinux() ? "Runs the Windows code path under Wine, which the course uses on Linux only."
        : Wine64 is null || WineServer is null ? RealParts.MissingReason(RealPart.Wine) ?? "wineserver is missing (Debian: apt-get install wine64)."
        : TurnedOff;

    /// <summary>Why the Wine tests are turned off (COURSE_WINE_TESTS=0, for a quick local run), or null.</summary>
    public static string? TurnedOff =>
        Environment.GetEnvironmentVariable(SwitchVariable) == "0" ? $"Turned off with {SwitchVariable}=0 (unset it to run the Windows code path under Wine)." : null;

    /// <summary>The environment variable that turns the Wine measurement tests off when set to 0.</summary>
    public const string SwitchVariable = "COURSE_WINE_TESTS";

    private readonly string _root = Path.Combine(Path.GetTempPath(), "course-wine-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>The throw-away WINEPREFIX.</summary>
    public string Prefix => Path.Combine(_root, "prefix");

    /// <summary>The results document the measure verb wrote (null when skipped).</summary>
    public JsonObject? Results { get; private set; }

    /// <summary>Everything the measure process printed.</summary>
    public string Output { get; private set; } = "";

    /// <summary>The measure process's exit code.</summary>
    public int ExitCode { get; private set; }

    /// <summary>How long the win-x64 publish took (near zero when the cached one was current).</summary>
    public double PublishSeconds { get; private set; }

    /// <summary>How long the measure process ran under Wine, the prefix's creation included.</summary>
    public double RunSeconds { get; private set; }

    /// <summary>Wine's processes of this prefix still alive after the run and wineserver -k (pid: command).</summary>
    public IReadOnlyList<string> LeftBehind { get; private set; } = [];

    /// <summary>Publishes, runs chapters 01, 05 and 10 in quick mode under Wine, then ends the prefix's wineserver.</summary>
    public async Task InitializeAsync()
    {
        if (SkipReason is not null)
        {
            return;
        }
        Directory.CreateDirectory(_root);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var publish = await PublishAsync();
        PublishSeconds = started.Elapsed.TotalSeconds;
        var results = Path.Combine(_root, "results.json");
        var environment = new Dictionary<string, string?> { ["WINEPREFIX"] = Prefix, ["WINEDEBUG"] = "-all", ["DISPLAY"] = null, ["WAYLAND_DISPLAY"] = null };
        try
        {
            started.Restart();
            (ExitCode, Output) = await RunAsync(Wine64!,
                [Path.Combine(publish, "AddressInUse.exe"), "measure", "--quick", "--chapter", "01,05,10", "--call-timeout", "150", "--out", "Z:" + results.Replace('/', '\\')],
                // A call may legitimately wait without CPU for its whole --call-timeout (150 s) before it is reported as hanging.
                environment, TimeSpan.FromMinutes(5));
            RunSeconds = started.Elapsed.TotalSeconds;
            Results = File.Exists(results) ? JsonNode.Parse(await File.ReadAllTextAsync(results)) as JsonObject : null;
        }
        finally
        {
            await RunAsync(WineServer!, ["-k"], environment, TimeSpan.FromMinutes(1));
            // wineserver -k ends the prefix's processes; give them a moment to be reaped, then list what is left.
            await AddressInUse.Observation.Poll.TryUntilAsync(() => ProcessesOfPrefix(Prefix).Count == 0, TimeSpan.FromSeconds(15));
            LeftBehind = ProcessesOfPrefix(Prefix);
        }
    }

    /// <summary>
    /// The win-x64 self-contained publish of the library, made once per version of its sources and kept under the test
    /// project's obj/ folder: a test run whose library has not changed starts Wine at once.
    /// </summary>
    private static async Task<string> PublishAsync()
    {
        var library = Path.Combine(Checkout.Root, "lib", "AddressInUse");
        var cache = Path.Combine(Checkout.Root, "tests", "AddressInUse.Tests", "obj", "wine-publish", SourceHash(library));
        var publish = Path.Combine(cache, "publish");
        var complete = Path.Combine(cache, "complete");
        if (File.Exists(complete) && File.Exists(Path.Combine(publish, "AddressInUse.exe")))
        {
            return publish;
        }
        // Only the current version is kept: older publishes (about 70 MB each) are removed.
        foreach (var old in Directory.Exists(Path.GetDirectoryName(cache)) ? Directory.EnumerateDirectories(Path.GetDirectoryName(cache)!) : [])
        {
            Directory.Delete(old, recursive: true);
        }
        var (code, output) = await RunAsync("dotnet",
            // No build servers: the compiler then runs inside the publish's own process tree, where its CPU time shows as progress,
            // and no MSBuild node or VBCSCompiler outlives the test.
            ["publish", library, "-c", "Release", "-r", "win-x64", "--self-contained", "-p:UseAppHost=true", "--disable-build-servers",
             // Its own intermediate and output folders, so the publish never touches the worktree's build of the library.
             "--artifacts-path", Path.Combine(cache, "artifacts"), $"-p:OutputPath={Path.Combine(cache, "bin")}/", "-o", publish],
            null, TimeSpan.FromMinutes(2));
        if (code != 0)
        {
            throw new InvalidOperationException($"dotnet publish -r win-x64 failed ({code}):\n{output}");
        }
        await File.WriteAllTextAsync(complete, DateTimeOffset.UtcNow.ToString("O"));
        return publish;
    }

    /// <summary>A hash of the library's sources (everything but its build folders), naming one version of the publish.</summary>
    internal static string SourceHash(string library)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var files = Directory.EnumerateFiles(library, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(library, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith("bin/", StringComparison.Ordinal) && !f.StartsWith("obj/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        foreach (var file in files)
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(file + "\0"));
            hash.AppendData(File.ReadAllBytes(Path.Combine(library, file)));
        }
        return Convert.ToHexString(hash.GetHashAndReset())[..16].ToLowerInvariant();
    }

    /// <summary>Removes the prefix and the results (the cached publish stays for the next run).</summary>
    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
        return Task.CompletedTask;
    }

    /// <summary>Every process whose environment names this WINEPREFIX (wineserver, winedevice, the measured program).</summary>
    public static IReadOnlyList<string> ProcessesOfPrefix(string prefix)
    {
        var found = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }
            try
            {
                var environ = File.ReadAllText(Path.Combine(dir, "environ"));
                if (environ.Split('\0').Contains("WINEPREFIX=" + prefix))
                {
                    found.Add($"{pid}: {File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Trim()}");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not ours to read.
            }
        }
        return found;
    }

    // Ended only when it stops making progress (no CPU used by its tree and nothing printed for the window), never for being slow:
    // a fixed 5-minute limit failed the cold publish, 27 s of CPU, at load average 80 (7 min 52 s of wall time).
    private static async Task<(int Code, string Output)> RunAsync(string program, IEnumerable<string> arguments, IDictionary<string, string?>? environment, TimeSpan stalled)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }
        var output = new System.Text.StringBuilder();
        using var process = new Process { StartInfo = info };
        DataReceivedEventHandler append = (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (output)
                {
                    output.AppendLine(e.Data);
                }
            }
        };
        process.OutputDataReceived += append;
        process.ErrorDataReceived += append;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        long Printed()
        {
            lock (output)
            {
                return output.Length;
            }
        }
        var finished = await Course.TestUtilities.ProgressWatch.WaitForExitAsync(process, stalled, Printed);
        lock (output)
        {
            return finished
                ? (process.ExitCode, output.ToString())
                : (-1, $"{program} made no progress (no CPU used, nothing printed) for {stalled.TotalMinutes:0.#} min and was ended\n{output}");
        }
    }

    private static string? Find(string name, params string[] fallbacks)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return fallbacks.FirstOrDefault(File.Exists);
    }
}
