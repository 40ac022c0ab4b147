using System.Text.Json;
using System.Text.Json.Serialization;
using PuppeteerSharp;

namespace Course.Runner.Images;

/// <summary>What a headless browser saw on a page: how many plotly charts and images were actually drawn, the errors, and what else it loaded.</summary>
/// <param name="ChartsDrawn">The number of plotly chart containers that hold a drawn SVG plot.</param>
/// <param name="Errors">Script errors, failed resource loads, images that did not draw and unhandled promise rejections, in order.</param>
/// <param name="ImagesDrawn">The number of &lt;img&gt; elements that loaded and have a size.</param>
/// <param name="Requests">Every URL the page asked for besides itself and its own data: URIs (a self-contained page asks for none).</param>
public sealed record PageInspection(int ChartsDrawn, IReadOnlyList<string> Errors, int ImagesDrawn = 0, IReadOnlyList<string>? Requests = null)
{
    /// <summary>A one-line summary followed by the errors, one a line.</summary>
    public override string ToString() =>
        $"{ChartsDrawn} chart(s) drawn, {Errors.Count} script error(s)" +
        string.Concat(Errors.Select(e => Environment.NewLine + "  " + e));
}

/// <summary>Loads pages in a headless browser and reports the charts they drew and their script errors (the page checks of the tests and of <c>course run</c>).</summary>
public sealed class PageInspector(HeadlessBrowser browser)
{
    /// <summary>How long a page may take to load and settle before the inspection gives up.</summary>
    public static TimeSpan DefaultTimeout { get; } = TimeSpan.FromSeconds(60);

    // Page time (virtual: fast-forwarded while the page is idle) the page gets after loading: past the
    // charts' 30 s wait for plotly.js, so that a page without plotly.js reports that as an error rather
    // than just "0 charts", and past late outputs such as the VS Code renderer's.
    private static readonly TimeSpan PageTimeBudget = TimeSpan.FromSeconds(35);

    /// <summary>Inspects one page in a browser of its own that is ended afterwards.</summary>
    public static async Task<PageInspection> InspectOnceAsync(string htmlPath, CancellationToken ct = default)
    {
        RequireFile(htmlPath);
        await using var browser = await HeadlessBrowser.LaunchAsync(ct: ct).ConfigureAwait(false);
        return await new PageInspector(browser).InspectAsync(htmlPath, null, ct).ConfigureAwait(false);
    }

    /// <summary>Loads the page (file) and reports how many plotly charts it drew and which script errors occurred; the page file is not changed.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="BrowserRunException">The page did not finish loading within <paramref name="timeout"/>.</exception>
    public async Task<PageInspection> InspectAsync(string htmlPath, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        var full = RequireFile(htmlPath);
        var limit = timeout ?? DefaultTimeout;
        var page = await browser.NewPageAsync().WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await page.EvaluateExpressionOnNewDocumentAsync(ErrorCollector(Path.GetFileName(full))).WaitAsync(ct).ConfigureAwait(false);
            var requests = new System.Collections.Concurrent.ConcurrentQueue<string>();
            var pageUrl = new Uri(full).AbsoluteUri;
            page.Request += (_, e) =>
            {
                var url = e.Request.Url;
                if (url != pageUrl && !url.StartsWith("data:", StringComparison.Ordinal))
                {
                    requests.Enqueue(url);
                }
            };
            var client = page.Client;
            var budgetExpired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            client.MessageReceived += (_, e) =>
            {
                if (e.MessageID == "Emulation.virtualTimeBudgetExpired")
                {
                    budgetExpired.TrySetResult();
                }
            };

            try
            {
                await page.GoToAsync(new Uri(full).AbsoluteUri, new NavigationOptions { Timeout = (int)limit.TotalMilliseconds, WaitUntil = [WaitUntilNavigation.Load] })
                    .WaitAsync(ct).ConfigureAwait(false);

                // Virtual time, as Chromium's --virtual-time-budget: timers fast-forward while the page is idle.
                await client.SendAsync("Emulation.setVirtualTimePolicy", new Dictionary<string, object>
                {
                    ["policy"] = "pauseIfNetworkFetchesPending",
                    ["budget"] = PageTimeBudget.TotalMilliseconds,
                }).WaitAsync(ct).ConfigureAwait(false);
                await budgetExpired.Task.WaitAsync(limit, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TimeoutException or NavigationException)
            {
                throw new BrowserRunException(
                    $"The browser did not finish '{full}' within {limit.TotalSeconds:0.#} s; the page may run a script that never ends or wait for a resource that never arrives.",
                    inner: e);
            }

            var json = await page.EvaluateExpressionAsync<string>(CountScript).WaitAsync(limit, ct).ConfigureAwait(false);
            var result = JsonSerializer.Deserialize<CountResult>(json)!;
            return new PageInspection(result.Charts, result.Errors, result.Images, requests.ToArray());
        }
        finally
        {
            try
            {
                await page.CloseAsync(new PageCloseOptions { RunBeforeUnload = false }).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // A page still running a script is ended with its browser.
            }
        }
    }

    private static string RequireFile(string htmlPath)
    {
        var full = Path.GetFullPath(htmlPath);
        return File.Exists(full) ? full : throw new FileNotFoundException($"No HTML page at '{full}' to inspect.", full);
    }

    private sealed record CountResult(
        [property: JsonPropertyName("charts")] int Charts,
        [property: JsonPropertyName("errors")] List<string> Errors,
        [property: JsonPropertyName("images")] int Images);

    private const string CountScript = """
        (function () {
          var drawn = 0, plots = document.querySelectorAll(".js-plotly-plot");
          for (var i = 0; i < plots.length; i++) {
            if (plots[i].querySelector("svg.main-svg")) { drawn++; }
          }
          var errors = (window.__aiuPageErrors || []).slice(), images = 0;
          for (var j = 0; j < document.images.length; j++) {
            var img = document.images[j];
            if (img.complete && img.naturalWidth > 0) { images++; }
            else { errors.push("Image not drawn: " + (img.alt || "") + " (" + String(img.currentSrc || img.src).slice(0, 80) + ")"); }
          }
          return JSON.stringify({ charts: drawn, errors: errors, images: images });
        })()
        """;

    /// <summary>A script run before the page's own that records script errors, failed resource loads and unhandled rejections.</summary>
    private static string ErrorCollector(string pageName) => """
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
        """.Replace("__PAGE__", JsonSerializer.Serialize(pageName));
}
