using Course.Runner.Images;

namespace Course.Runner.TestUtilities;

/// <summary>A fact that needs a real headless Chromium: it fails with the install hint when none is found, unless COURSE_SKIP_BROWSER_TESTS=1.</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    /// <summary>The environment variable that turns a missing browser into skipped tests instead of failures.</summary>
    public const string SkipVariable = "COURSE_SKIP_BROWSER_TESTS";

    /// <summary>Skips, stating why, only when the skip variable is 1 and no browser can be located.</summary>
    public BrowserFactAttribute()
    {
        // Without the opt-out a missing browser must fail loudly: CI installs chromium, and a
        // silently skipped chart test would hide that the SVG export or the page checks no longer work.
        if (Environment.GetEnvironmentVariable(SkipVariable) == "1" && BrowserLocator.Locate() is null)
        {
            Skip = $"Skipped because {SkipVariable}=1 is set and no browser was found: {BrowserLocator.NotFoundMessage}";
        }
    }
}

/// <summary>Browser tests run one at a time: each starts a whole Chromium, and the leftover-process checks must see only their own (xunit creates the named collection in each test assembly that uses it).</summary>
public static class ChromiumCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "chromium";
}

/// <summary>One headless browser shared by the tests of a class (as the runner shares one for a whole run); started lazily, ended after the class.</summary>
public sealed class SharedBrowser : IAsyncLifetime
{
    private HeadlessBrowser? _browser;

    /// <summary>The browser, started on first use.</summary>
    public async Task<HeadlessBrowser> GetAsync() => _browser is { IsConnected: true } ? _browser : _browser = await HeadlessBrowser.LaunchAsync();

    /// <summary>Nothing to do before the first test: the browser starts when a test needs it.</summary>
    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Ends the browser and deletes its work folder.</summary>
    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
    }
}
