using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Course.Runner.Images;
using AddressInUse.Observation;
using Course.Runner.Cli;
using Course.Runner.Live;
using PuppeteerSharp;
using static Course.TestUtilities.ForeignProcesses;

namespace Course.EndToEnd.Live;

[Collection(ChromiumCollection.Name)]
public sealed class ObserveWebPageTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>A connection the course did not make (netcat's listener and client) appears in a real headless Chromium with its states, pushed live.</summary>
    [BrowserFact(RealPart.Netcat, LinuxOnly = true)]
    public async Task ObserveWeb_NetcatConnectionOpenedAndClosed_PageShowsItsStates()
    {
        var nc = Netcat();
        var browserPath = BrowserLocator.LocateOrThrow();
        var port = FreeLoopbackPort();
        var output = new StringWriter();
        using var stop = new CancellationTokenSource();
        var server = new ObserveWebServer(port, TimeSpan.FromMilliseconds(5));
        var serving = Task.Run(() => server.RunAsync(TextWriter.Synchronized(output), stop.Token));
        Process? listener = null, client = null;
        IBrowser? browser = null;
        try
        {
            await Poll.UntilAsync(() => server.Url is not null, Deadline, "the page to be served");
            var first = output.ToString().Split('\n')[0].Trim();
            Assert.Matches(@"^serving http://127\.0\.0\.1:\d+/\?token=[0-9a-f]{32}$", first);

            browser = await Puppeteer.LaunchAsync(new LaunchOptions { ExecutablePath = browserPath, Headless = true, Args = ["--no-sandbox", "--disable-gpu"] });
            var page = await browser.NewPageAsync();
            await page.GoToAsync(server.Url!.ToString());
            await page.WaitForFunctionAsync("() => document.getElementById('status').textContent.startsWith('live')", new WaitForFunctionOptions { Timeout = 15_000 });

            listener = Start(nc, "-l", "127.0.0.1", port.ToString());
            await Poll.UntilAsync(() => TcpTable.ReadPorts([port]).Any(e => e.State == System.Net.NetworkInformation.TcpState.Listen), Deadline, "nc to listen");
            client = Start(nc, "127.0.0.1", port.ToString());
            await page.WaitForFunctionAsync("() => document.querySelectorAll('#changes li[data-to=ESTABLISHED]').length >= 2", new WaitForFunctionOptions { Timeout = 15_000 });
            Stop(client); // the client ends first, so its end goes FIN_WAIT → TIME_WAIT
            client = null;
            await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#changes li')].some(li => li.dataset.to === 'TIME_WAIT')", new WaitForFunctionOptions { Timeout = 15_000 });

            var states = await page.EvaluateFunctionAsync<string[]>("() => [...document.querySelectorAll('#changes li')].map(li => li.dataset.to)");
            Assert.Contains("LISTEN", states);
            Assert.Contains("ESTABLISHED", states);
            Assert.Contains("TIME_WAIT", states);
            var traces = await page.EvaluateFunctionAsync<string[]>("() => document.getElementById('chart').data.map(t => t.name)");
            Assert.Contains("ESTABLISHED", traces);
            Assert.Contains("TIME_WAIT", traces);
            // The page was drawn from the bundled plotly.js, served by the view itself.
            Assert.False(string.IsNullOrEmpty(await page.EvaluateExpressionAsync<string>("Plotly.version")));
        }
        finally
        {
            if (browser is not null)
            {
                await browser.CloseAsync();
            }
            stop.Cancel();
            await serving.WaitAsync(TimeSpan.FromSeconds(10));
            Stop(client);
            Stop(listener);
        }
        Assert.Contains("stopped", output.ToString());
    }

    [Fact]
    public async Task ObserveWeb_HostHeaderNotLoopback_Forbidden()
    {
        using var stop = new CancellationTokenSource();
        var server = new ObserveWebServer(9, TimeSpan.FromMilliseconds(50));
        var serving = server.RunAsync(TextWriter.Null, stop.Token);
        try
        {
            await Poll.UntilAsync(() => server.Url is not null, Deadline, "the page to be served");
            using var http = new HttpClient();
            using var own = await http.GetAsync(server.Url);
            using var request = new HttpRequestMessage(HttpMethod.Get, server.Url) { Headers = { Host = "attacker.example" } };
            using var foreign = await http.SendAsync(request);

            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
            Assert.Contains("plotly.min.js", await own.Content.ReadAsStringAsync());
            // HttpListener itself answers 404 to a host it does not serve, the view 403 to a non-loopback one: either way, nothing is served.
            Assert.Contains(foreign.StatusCode, new[] { HttpStatusCode.Forbidden, HttpStatusCode.NotFound });
            Assert.DoesNotContain("plotly", await foreign.Content.ReadAsStringAsync());
        }
        finally
        {
            stop.Cancel();
            await serving.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("192.168.1.10")]
    public async Task ObserveWeb_NonLoopbackAddress_RefusedWithExitCode2(string address)
    {
        var error = new StringWriter();

        var code = await CommandLine.RunAsync(["observe", "--port", "9", "--web", "--web-address", address], new CommandContext(new StringWriter(), error, ".", CancellationToken.None));

        Assert.Equal(CommandLine.UsageExitCode, code);
        Assert.Contains("not a loopback address", error.ToString());
    }
}
