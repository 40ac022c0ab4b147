using AddressInUse.Charts;
using Course.Runner.Images;

namespace Course.Runner.Tests.Images;

/// <summary>Browser lookup order and messages, with a fake environment so no real variable is touched.</summary>
public sealed class BrowserLocatorTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private string FakeBrowser(string name)
    {
        var path = Path.Combine(_folder.Path, OperatingSystem.IsWindows() ? name + ".exe" : name);
        File.WriteAllText(path, "#!/bin/sh\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }

    private static Func<string, string?> Environment(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value ?? (name == "PATHEXT" ? ".EXE" : null);

    [Fact]
    public void Locate_KnownNameOnPath_FindsIt()
    {
        var browser = FakeBrowser("google-chrome");

        var (path, problem) = BrowserLocator.Locate(Environment(("PATH", _folder.Path)), includeInstallLocations: false);

        Assert.Equal(browser, path);
        Assert.Null(problem);
    }

    [Fact]
    public void Locate_CourseBrowserSet_WinsOverPath()
    {
        FakeBrowser("chromium");
        var chosen = FakeBrowser("my-edge");

        var (path, _) = BrowserLocator.Locate(Environment(("PATH", _folder.Path), ("COURSE_BROWSER", chosen)), includeInstallLocations: false);

        Assert.Equal(chosen, path);
    }

    [Fact]
    public void Locate_CourseBrowserIsANameOnPath_FindsIt()
    {
        var chosen = FakeBrowser("vivaldi");

        var (path, _) = BrowserLocator.Locate(Environment(("PATH", _folder.Path), ("COURSE_BROWSER", "vivaldi")), includeInstallLocations: false);

        Assert.Equal(chosen, path);
    }

    [Fact]
    public void Locate_CourseBrowserPointsNowhere_ReportsTheVariableInsteadOfFallingBack()
    {
        FakeBrowser("chromium");
        var missing = Path.Combine(_folder.Path, "no-such-browser");

        var (path, problem) = BrowserLocator.Locate(Environment(("PATH", _folder.Path), ("COURSE_BROWSER", missing)), includeInstallLocations: false);

        Assert.Null(path);
        Assert.Contains($"COURSE_BROWSER is set to '{missing}'", problem);
    }

    [Fact]
    public void LocateOrThrow_NoBrowserAnywhere_ThrowsTheInstallHint()
    {
        var error = Assert.Throws<BrowserNotFoundException>(
            () => BrowserLocator.LocateOrThrow(Environment(("PATH", _folder.Path)), includeInstallLocations: false));

        Assert.Equal(
            "No Chromium-family browser found; install chromium (Debian: apt-get install chromium), Chrome or Edge, or set COURSE_BROWSER=/path/to/browser",
            error.Message);
    }

    [Fact]
    public void Locate_NonExecutableFileOnUnixPath_IsIgnored()
    {
        var path = Path.Combine(_folder.Path, "chromium");
        File.WriteAllText(path, "not a program");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var (found, _) = BrowserLocator.Locate(Environment(("PATH", _folder.Path)), includeInstallLocations: false);

        // Windows has no execute bit, so there any file with the right name counts.
        Assert.Equal(OperatingSystem.IsWindows() ? path : null, found);
    }
}
