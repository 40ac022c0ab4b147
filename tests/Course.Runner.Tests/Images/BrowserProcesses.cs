using System.Diagnostics;
using System.Text;
using Course.Runner.Images;

namespace Course.Runner.Tests.Images;

/// <summary>Records the browser launches of one test and checks, independently of the library, that none left a process behind.</summary>
internal sealed class BrowserProcesses : IDisposable
{
    private readonly List<Launch> _launches = [];
    private readonly Action<HeadlessBrowser>? _previous;

    /// <summary>Starts recording the launches made from this test's async flow; <paramref name="onLaunch"/> runs on each.</summary>
    public BrowserProcesses(Action<Launch>? onLaunch = null)
    {
        _previous = HeadlessBrowser.LaunchObserver.Value;
        HeadlessBrowser.LaunchObserver.Value = browser =>
        {
            var launch = new Launch(browser.ProcessId, browser.WorkFolder);
            lock (_launches)
            {
                _launches.Add(launch);
            }

            onLaunch?.Invoke(launch);
        };
    }

    /// <summary>The launches seen so far.</summary>
    public IReadOnlyList<Launch> Launches
    {
        get
        {
            lock (_launches)
            {
                return _launches.ToList();
            }
        }
    }

    /// <summary>Stops recording.</summary>
    public void Dispose() => HeadlessBrowser.LaunchObserver.Value = _previous;

    /// <summary>Polls until no launch has a live process or a work folder left, or fails after the deadline naming what is left.</summary>
    public void AssertNothingLeftBehind()
    {
        Assert.NotEmpty(Launches);
        var left = new List<string>();
        var gone = SpinWait.SpinUntil(
            () =>
            {
                left = Launches.SelectMany(Leftovers).ToList();
                return left.Count == 0;
            },
            TimeSpan.FromSeconds(30));

        Assert.True(gone, "Left behind by the browser run: " + string.Join("; ", left));
    }

    /// <summary>One browser launch: its main process and its work folder.</summary>
    public sealed record Launch(int ProcessId, string WorkDirectory);

    /// <summary>What is left of a launch: its work folder, and (Linux) every process naming it, else its main process.</summary>
    public static IEnumerable<string> Leftovers(Launch launch)
    {
        if (Directory.Exists(launch.WorkDirectory))
        {
            yield return $"folder {launch.WorkDirectory}";
        }

        if (OperatingSystem.IsLinux())
        {
            // Every Chromium helper (zygote, renderer, GPU, network, crash handler) carries the
            // launch's work folder in its arguments; a zombie has an empty cmdline and does not count.
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out var pid))
                {
                    continue;
                }

                string cmdline;
                try
                {
                    cmdline = Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(dir, "cmdline")));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    continue;
                }

                if (cmdline.Contains(launch.WorkDirectory, StringComparison.Ordinal))
                {
                    yield return $"process {pid} ({cmdline.Replace('\0', ' ')[..Math.Min(120, cmdline.Length)]})";
                }
            }
        }
        else
        {
            Process? process = null;
            try
            {
                process = Process.GetProcessById(launch.ProcessId);
            }
            catch (ArgumentException)
            {
                // Not running.
            }

            if (process is not null)
            {
                using (process)
                {
                    if (!process.HasExited)
                    {
                        yield return $"browser process {launch.ProcessId}";
                    }
                }
            }
        }
    }
}
