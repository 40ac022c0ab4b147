using AddressInUse.Charts;

namespace Course.TestUtilities;

/// <summary>A fact that needs a real headless Chromium: it fails with the install hint when none is found, unless COURSE_SKIP_BROWSER_TESTS=1.</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    /// <summary>The environment variable that turns a missing browser into skipped tests instead of failures.</summary>
    public const string SkipVariable = "COURSE_SKIP_BROWSER_TESTS";

    /// <summary>Skips, stating why, only when the skip variable is 1 and no browser can be located.</summary>
    public BrowserFactAttribute()
    {
        // Without the opt-out a missing browser must fail loudly: CI installs chromium, and a
        // silently skipped chart test would hide that the SVG export no longer works.
        if (Environment.GetEnvironmentVariable(SkipVariable) == "1" && ChromiumBrowser.Locate() is null)
        {
            Skip = $"Skipped because {SkipVariable}=1 is set and no browser was found: {ChromiumBrowser.NotFoundMessage}";
        }
    }
}

/// <summary>Browser tests run one at a time: each starts a whole Chromium, and the leftover-process checks must see only their own (xunit creates the named collection in each test assembly that uses it).</summary>
public static class ChromiumCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "chromium";
}

/// <summary>A temporary folder that is deleted with everything in it when the test ends.</summary>
public sealed class TempFolder : IDisposable
{
    /// <summary>Creates a fresh, empty folder under the system temp directory.</summary>
    public TempFolder() => Path = Directory.CreateTempSubdirectory("aiu-chart-tests-").FullName;

    /// <summary>The folder's full path.</summary>
    public string Path { get; }

    /// <summary>Deletes the folder and its contents.</summary>
    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
