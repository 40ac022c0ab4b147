using Course.Runner.Images;

namespace Course.TestUtilities;

/// <summary>How the browser tests name Chromium when it is missing: the part, its install command, and why the locator found none.</summary>
public static class ChromiumPart
{
    /// <summary>The part's description for <see cref="RealParts"/>: null problem when a browser is found.</summary>
    public static (string Name, string Install, string? Problem) Describe()
    {
        var (path, problem) = BrowserLocator.Locate(Environment.GetEnvironmentVariable, includeInstallLocations: true);
        return ("a Chromium-family browser (chromium, Chrome or Edge)", "apt-get install chromium",
            path is not null ? null : problem ?? $"none on PATH or in the standard install locations, and {BrowserLocator.BrowserVariable} is not set");
    }
}

/// <summary>A fact that needs a real headless Chromium: skipped naming it and its install command when none is found, failed instead under COURSE_REQUIRE_REAL_PARTS=1.</summary>
public sealed class BrowserFactAttribute : RealPartsFactAttribute
{
    /// <summary>Needs a browser, and any further parts.</summary>
    public BrowserFactAttribute(params RealPart[] more)
        : base(more.Select(p => (RealParts.Name(p), RealParts.InstallCommand(p), RealParts.Problem(p))).Prepend(ChromiumPart.Describe()))
    {
    }
}

/// <summary>A theory that needs a real headless Chromium, skipped or failed as <see cref="BrowserFactAttribute"/>.</summary>
public sealed class BrowserTheoryAttribute : RealPartsTheoryAttribute
{
    /// <summary>Needs a browser, and any further parts.</summary>
    public BrowserTheoryAttribute(params RealPart[] more)
        : base(more.Select(p => (RealParts.Name(p), RealParts.InstallCommand(p), RealParts.Problem(p))).Prepend(ChromiumPart.Describe()))
    {
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
