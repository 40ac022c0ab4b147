using AddressInUse.Observation;
using Course.Runner.Images;

namespace Course.Runner.Tests.Images;

/// <summary>The runner's browser sends nothing off the machine: measured on its processes while it loads a page that asks for remote hosts.</summary>
[Collection(ChromiumCollection.Name)]
public sealed class BrowserNetworkTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [BrowserInLabFact]
    public async Task Launch_WhereTheLabRuns_EveryBrowserProcessSeesOnlyLo_NoSocketToARemotePeer()
    {
        // A page that asks for remote hosts in three ways: a script, an image and a fetch.
        var page = Path.Combine(_folder.Path, "remote.html");
        File.WriteAllText(page, """
            <!DOCTYPE html><html><body>
            <img src="http://example.com/a.png"><script src="https://clients2.google.com/x.js"></script>
            <script>fetch("https://update.googleapis.com/").catch(() => {}).finally(() => document.title = "tried");</script>
            </body></html>
            """);
        var host = SocketPeers.NetworkNamespaceOf(Environment.ProcessId);
        var peers = new List<string>();

        await using (var browser = await HeadlessBrowser.LaunchAsync())
        {
            Assert.True(browser.NetworkIsolated);
            var tab = await browser.NewPageAsync();
            await tab.GoToAsync(new Uri(page).AbsoluteUri);
            await tab.WaitForFunctionAsync("() => document.title === 'tried'");
            var processes = BrowserWorkFolders.ProcessesMentioning(browser.WorkFolder);

            Assert.NotEmpty(processes);
            foreach (var pid in processes)
            {
                Assert.NotEqual(host, SocketPeers.NetworkNamespaceOf(pid));
                Assert.Equal(["lo"], SocketPeers.InterfacesOf(pid));
                peers.AddRange(SocketPeers.ForeignPeersOf(pid));
            }
        }

        Assert.Empty(peers);
    }

    [Fact]
    public void Switches_TurnOffEveryOutboundFeature_ResolveNoHostName_AndSurviveAShell()
    {
        Assert.Contains("--disable-background-networking", OfflineLaunch.Switches);
        Assert.Contains("--disable-component-update", OfflineLaunch.Switches);
        Assert.Contains("--proxy-server=socks5://127.0.0.1:9", OfflineLaunch.Switches);
        // PuppeteerSharp joins the switches into a bash command line: none may hold a space or a glob character.
        Assert.All(OfflineLaunch.Switches, s => Assert.DoesNotMatch(@"[\s*?\[""'$;&|<>]", s));
    }
}

/// <summary>A browser fact that also needs Linux's private user and network namespaces (where the runner's browser runs offline).</summary>
public sealed class BrowserInLabFactAttribute : FactAttribute
{
    /// <summary>Skips off Linux or where unprivileged user namespaces are refused, saying why; a missing browser fails as in <see cref="BrowserFactAttribute"/>.</summary>
    public BrowserInLabFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || !AddressInUse.Lab.NetworkLab.Availability.Available)
        {
            Skip = $"Needs Linux with unprivileged user namespaces (the browser's private network): {AddressInUse.Lab.NetworkLab.Availability.Reason}.";
        }
        else if (new BrowserFactAttribute().Skip is { } skip)
        {
            Skip = skip;
        }
    }
}
