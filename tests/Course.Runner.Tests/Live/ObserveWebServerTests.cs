using System.Net;
using AddressInUse.Observation;
using Course.Runner.Cli;
using Course.Runner.Live;

namespace Course.Runner.Tests.Live;

/// <summary>`observe --web` serves its view only to whoever has the token printed on its first line: loopback is shared by every local user.</summary>
public sealed class ObserveWebServerTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ObserveWeb_FirstLine_IsTheAddressWithARandomToken_AndOnlyThatAddressIsServed()
    {
        using var stop = new CancellationTokenSource();
        var output = new StringWriter();
        var server = new ObserveWebServer(9, TimeSpan.FromMilliseconds(50));
        var serving = server.RunAsync(TextWriter.Synchronized(output), stop.Token);
        try
        {
            await Poll.UntilAsync(() => output.ToString().Contains('\n'), Deadline, "the first line");
            var first = output.ToString().Split('\n')[0].Trim();
            Assert.Matches(@"^serving http://127\.0\.0\.1:\d+/\?token=[0-9a-f]{32}$", first);
            Assert.Equal(server.Url!.ToString(), first["serving ".Length..]);
            var bare = new UriBuilder(server.Url!) { Query = "" }.Uri;
            var token = server.Url!.Query["?token=".Length..];

            using var http = new HttpClient();
            foreach (var path in new[] { "/", "/plotly.min.js", "/events" })
            {
                // What another local user can send: the port without the token, or a guess.
                using var none = await http.GetAsync(new Uri(bare, path), HttpCompletionOption.ResponseHeadersRead);
                using var wrong = await http.GetAsync(new Uri(bare, path + "?token=" + new string('0', 32)), HttpCompletionOption.ResponseHeadersRead);
                Assert.Equal(HttpStatusCode.Forbidden, none.StatusCode);
                Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
            }

            using var page = await http.GetAsync(server.Url);
            var html = await page.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            // The page's own requests carry the token, or it could not draw.
            Assert.Contains($"/plotly.min.js?token={token}", html);
            Assert.Contains($"/events?token={token}", html);
            using var script = await http.GetAsync(new Uri(bare, $"/plotly.min.js?token={token}"));
            Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        }
        finally
        {
            await stop.CancelAsync();
            await serving.WaitAsync(Deadline);
        }
    }

    [Fact]
    public async Task ObserveWeb_TwoServers_GetDifferentTokens()
    {
        var urls = new List<Uri>();
        for (var i = 0; i < 2; i++)
        {
            using var stop = new CancellationTokenSource();
            var server = new ObserveWebServer(9, TimeSpan.FromMilliseconds(50));
            var serving = server.RunAsync(TextWriter.Null, stop.Token);
            await Poll.UntilAsync(() => server.Url is not null, Deadline, "the page to be served");
            urls.Add(server.Url!);
            await stop.CancelAsync();
            await serving.WaitAsync(Deadline);
        }

        Assert.NotEqual(urls[0].Query, urls[1].Query);
    }

    [Fact]
    public async Task Observe_IntervalZero_RefusedWithExitCode2_InsteadOfSpinningACore()
    {
        var error = new StringWriter();

        var code = await CommandLine.RunAsync(["observe", "--port", "9", "--interval-ms", "0"], new CommandContext(new StringWriter(), error, ".", CancellationToken.None));

        Assert.Equal(CommandLine.UsageExitCode, code);
        Assert.Contains("--interval-ms 0 is not a whole number of milliseconds from 1 to 60000", error.ToString());
    }

    [Fact]
    public async Task ObserveWeb_IPv6LoopbackAddress_OneLineWithTheFixOffWindows_InsteadOfAStackTrace()
    {
        var error = new StringWriter();

        var code = await CommandLine.RunAsync(["observe", "--port", "9", "--web", "--web-address", "::1", "--seconds", "5"], new CommandContext(new StringWriter(), error, ".", CancellationToken.None));

        if (OperatingSystem.IsWindows())
        {
            Assert.Equal(0, code);
            return;
        }
        Assert.Equal(CommandLine.UsageExitCode, code);
        Assert.Contains("--web-address ::1", error.ToString());
        Assert.Contains("Fix: --web-address 127.0.0.1", error.ToString());
        Assert.DoesNotContain("   at ", error.ToString());
    }

    [Fact]
    public async Task ObserveWeb_V4MappedLoopbackAndSeconds_ServesOnTheIPv4AddressAndStopsAtTheTime()
    {
        var output = new StringWriter();
        var error = new StringWriter();

        // Before: ::ffff:127.0.0.1 threw SocketException EINVAL, and --seconds was ignored with --web (it served until Ctrl+C).
        var observing = CommandLine.RunAsync(["observe", "--port", "9", "--web", "--web-address", "::ffff:127.0.0.1", "--seconds", "0.5"], new CommandContext(TextWriter.Synchronized(output), error, ".", CancellationToken.None));
        var code = await observing.WaitAsync(TimeSpan.FromMinutes(5));

        Assert.Equal(0, code);
        Assert.Matches(@"^serving http://127\.0\.0\.1:\d+/\?token=", output.ToString());
        Assert.Contains("stopped", output.ToString());
        Assert.Equal("", error.ToString());
    }
}
