using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AddressInUse.Display;
using Course.Runner.Charts;
using Course.Runner.Cli;
using Course.Runner.Images;
using PuppeteerSharp;

namespace Course.EndToEnd.RealClients;

/// <summary>
/// A chapter executed by the runner, opened in a real Jupyter Notebook 6 server in headless Chromium without trusting it (as a learner
/// first opens a downloaded notebook): every figure output shows the static image the runner put into it, none is blank.
/// </summary>
public sealed class UntrustedJupyterFixture : IAsyncLifetime
{
    /// <summary>The chapter run: chapter 09 draws five figures of two kinds (lines and bars) in quick mode.</summary>
    public const string Chapter = "09";

    private static readonly string Root = RepositoryLayout.FindRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("The tests run from inside the repository (a folder holding Course.sln).");

    private readonly TempDirectory _temp = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private JupyterNotebookServer? _server;
    private HeadlessBrowser? _browser;
    private Exception? _failure;

    /// <summary>The folder the server serves: the executed chapter and its twin.</summary>
    public string Served => Path.Combine(_temp.Path, "served");

    /// <summary>The executed chapter's file name.</summary>
    public string Executed { get; private set; } = "";

    /// <summary>The twin's file name: the executed chapter with its figures' static images taken out.</summary>
    public string Twin { get; private set; } = "";

    /// <summary>Runs the chapter, writes its twin, starts the server and the browser, once for the class; rethrows a failure of that to every test.</summary>
    internal async Task<(JupyterNotebookServer Server, HeadlessBrowser Browser)> GetAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_failure is not null)
            {
                throw new InvalidOperationException("Setting up the chapter, the Jupyter server or the browser failed.", _failure);
            }
            if (_server is null || _browser is null)
            {
                try
                {
                    await SetUpAsync();
                }
                catch (Exception e)
                {
                    _failure = e;
                    throw;
                }
            }
            return (_server!, _browser!);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task SetUpAsync()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var outFolder = Path.Combine(_temp.Path, "out");
        string[] args = ["run", "--chapter", Chapter, "--quick", "--notebooks", RepositoryLayout.NotebooksFolder(Root), "--out", outFolder, "--images", Path.Combine(_temp.Path, "images", "linux")];
        var code = await CommandLine.RunAsync(args, new CommandContext(output, error, Root, CancellationToken.None), CommandLine.DefaultCommands());
        var executed = Directory.GetFiles(outFolder, Chapter + "-*.ipynb");
        if (code != 0 || executed.Length != 1)
        {
            throw new InvalidOperationException($"course run --chapter {Chapter} --quick exited {code}.\n{output}\n{error}");
        }

        Directory.CreateDirectory(Served);
        Executed = Path.GetFileName(executed[0]);
        File.Copy(executed[0], Path.Combine(Served, Executed));
        Twin = "twin-without-static-images.ipynb";
        File.WriteAllText(Path.Combine(Served, Twin), UntrustedJupyterTests.WithoutStaticImages(File.ReadAllText(executed[0])));

        _server = await JupyterNotebookServer.StartAsync(Served, Path.Combine(_temp.Path, "private"), TimeSpan.FromSeconds(90));
        _browser = await HeadlessBrowser.LaunchAsync(null, reachesMachineLoopback: true);
    }

    /// <summary>Nothing to do before the first test: the chapter runs when a test needs it.</summary>
    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Ends the browser and the server's process tree and deletes every file of the run.</summary>
    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
        _server?.Dispose();
        _temp.Dispose();
        _gate.Dispose();
    }
}

/// <summary>The executed chapter opened untrusted in Jupyter Notebook 6: each figure output draws its static image; the check finds the twin's figures blank.</summary>
[Collection(NotebookRunCollection.Name)]
public sealed partial class UntrustedJupyterTests(UntrustedJupyterFixture fixture, Xunit.Abstractions.ITestOutputHelper log) : IClassFixture<UntrustedJupyterFixture>
{
    private static readonly TimeSpan PageDeadline = TimeSpan.FromSeconds(90);

    [BrowserFact(RealPart.JupyterNotebook, LinuxOnly = true)]
    public async Task ExecutedChapter_OpenedUntrustedInJupyterNotebook_EveryFigureShowsItsImage()
    {
        var (server, browser) = await fixture.GetAsync();
        var figures = FigureOutputs(File.ReadAllText(Path.Combine(fixture.Served, fixture.Executed)));
        Assert.True(figures > 0, $"{fixture.Executed} has no figure output to check.");

        var page = await OpenAsync(server, browser, fixture.Executed);

        log.WriteLine($"{fixture.Executed}: {figures} figure outputs, {page.FiguresDrawn} drawn, trusted: {page.Trusted}");
        Assert.False(page.Trusted, "the notebook opened trusted; the test must see what a learner sees first");
        Assert.True(page.Problems.Count == 0, string.Join("\n", page.Problems));
        Assert.Equal(figures, page.FiguresDrawn);
    }

    [BrowserFact(RealPart.JupyterNotebook, LinuxOnly = true)]
    public async Task TwinWithoutStaticImages_OpenedUntrustedInJupyterNotebook_CheckFindsEveryFigureBlank()
    {
        var (server, browser) = await fixture.GetAsync();
        var figures = FigureOutputs(File.ReadAllText(Path.Combine(fixture.Served, fixture.Twin)));
        Assert.True(figures > 0, $"{fixture.Twin} has no figure output to check.");

        var page = await OpenAsync(server, browser, fixture.Twin);

        log.WriteLine($"{fixture.Twin}: {figures} figure outputs, {page.FiguresDrawn} drawn:\n{string.Join("\n", page.Problems)}");
        Assert.False(page.Trusted);
        Assert.Equal(0, page.FiguresDrawn);
        Assert.Equal(figures, page.Problems.Count(p => p.Contains("shows no drawn image", StringComparison.Ordinal)));
    }

    /// <summary>The number of figure outputs (plotly JSON) in a notebook file.</summary>
    internal static int FigureOutputs(string notebookJson) =>
        JsonNode.Parse(notebookJson)!["cells"]!.AsArray()
            .SelectMany(c => c!["outputs"]?.AsArray() ?? [])
            .Count(o => o!["data"]?[MimeTypes.Plotly] is JsonObject);

    /// <summary>The notebook with its figures' static images taken out: no image/svg+xml, and the figure HTML without the static copy.</summary>
    internal static string WithoutStaticImages(string notebookJson)
    {
        var notebook = JsonNode.Parse(notebookJson)!;
        var changed = 0;
        foreach (var output in notebook["cells"]!.AsArray().SelectMany(c => c!["outputs"]?.AsArray() ?? []))
        {
            if (output!["data"] is not JsonObject data || data[MimeTypes.Plotly] is not JsonObject)
            {
                continue;
            }
            data.Remove(StaticFigureImages.SvgMimeType);
            var html = data[MimeTypes.Html] is JsonArray lines ? string.Concat(lines.Select(l => (string?)l)) : (string?)data[MimeTypes.Html] ?? "";
            var stripped = StaticCopy().Replace(html, "");
            if (stripped != html)
            {
                changed++;
            }
            data[MimeTypes.Html] = stripped;
        }
        // Guards the twin itself: a chapter whose figures carried no static copy would make the check's failure prove nothing.
        if (changed == 0)
        {
            throw new InvalidOperationException("No figure output of the executed chapter carried a static image to take out.");
        }
        return notebook.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>What the untrusted page showed: its trust mark, how many figure outputs drew an image, and each problem found.</summary>
    private sealed record PageCheck(bool Trusted, int FiguresDrawn, List<string> Problems);

    private static async Task<PageCheck> OpenAsync(JupyterNotebookServer server, HeadlessBrowser browser, string fileName)
    {
        await using var page = await browser.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e.Message);
        await page.GoToAsync(server.NotebookUrl(fileName), new NavigationOptions { Timeout = (int)PageDeadline.TotalMilliseconds });
        // Settled: Jupyter has rendered every cell, and every image in an output has loaded or failed.
        await page.WaitForFunctionAsync(
            "() => window.Jupyter && Jupyter.notebook && Jupyter.notebook._fully_loaded && Array.from(document.querySelectorAll('.output_area img')).every(i => i.complete)",
            new WaitForFunctionOptions { Timeout = (int)PageDeadline.TotalMilliseconds, PollingInterval = 100 });
        var result = await page.EvaluateFunctionAsync<JsonElement>(FigureCheckScript);

        var problems = new List<string>();
        foreach (var cell in result.GetProperty("mismatched").EnumerateArray())
        {
            problems.Add($"cell {cell.GetInt32() + 1}: Jupyter shows a different number of output areas than the cell has outputs");
        }
        var drawn = 0;
        foreach (var figure in result.GetProperty("figures").EnumerateArray())
        {
            var where = $"cell {figure.GetProperty("cell").GetInt32() + 1}, output {figure.GetProperty("output").GetInt32() + 1}";
            if (figure.GetProperty("drawn").GetInt32() == 0)
            {
                problems.Add($"{where} shows no drawn image ({figure.GetProperty("images").GetInt32()} img/svg elements, output {figure.GetProperty("height").GetDouble():F0} px high)");
            }
            else
            {
                drawn++;
            }
        }
        problems.AddRange(errors.Select(e => $"page error: {e}"));
        return new PageCheck(result.GetProperty("trusted").GetBoolean(), drawn, problems);
    }

    // Per figure output (a plotly JSON output), its output area's <img> and <svg> elements, and those drawn: laid out with a width and a
    // height, and for an <img> loaded with a picture. Jupyter gives each output of a cell one .output_area, in order (streams merged first).
    private const string FigureCheckScript = """
        () => {
          const nb = Jupyter.notebook;
          const result = { trusted: nb.trusted === true, mismatched: [], figures: [] };
          nb.get_cells().forEach((cell, c) => {
            if (cell.cell_type !== 'code') return;
            const outputs = cell.output_area.outputs;
            const areas = cell.output_area.element.children('.output_area').toArray();
            if (areas.length !== outputs.length) result.mismatched.push(c);
            outputs.forEach((o, i) => {
              if (!o.data || typeof o.data['application/vnd.plotly.v1+json'] !== 'object') return;
              const area = areas[i];
              const images = area ? Array.from(area.querySelectorAll('img, svg')) : [];
              const drawn = images.filter(e => {
                const r = e.getBoundingClientRect();
                const laidOut = r.width > 0 && r.height > 0;
                return e.tagName.toLowerCase() === 'img' ? laidOut && e.complete && e.naturalWidth > 0 : laidOut;
              });
              result.figures.push({ cell: c, output: i, images: images.length, drawn: drawn.length, height: area ? area.getBoundingClientRect().height : 0 });
            });
          });
          return result;
        }
        """;

    [GeneratedRegex("<div class=\"" + StaticFigureImages.FallbackClass + "\"[^>]*>.*?</div><script>.*?</script>", RegexOptions.Singleline)]
    private static partial Regex StaticCopy();
}
