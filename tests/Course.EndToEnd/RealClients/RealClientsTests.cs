using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Course.Runner.Cli;
using Xunit.Abstractions;

namespace Course.EndToEnd.RealClients;

/// <summary>Every chapter, in quick mode, run by the course runner and by the clients learners use (Jupyter's nbconvert with the .NET Interactive kernel, and dotnet-repl).</summary>
public sealed class RealClientsFixture : IAsyncLifetime
{
    private static readonly string Root = Checkout.Root;

    private readonly TempDirectory _temp = new();

    /// <summary>Why the clients cannot run here, or null when they can.</summary>
    public string? SkipReason { get; private set; }

    /// <summary>The chapter file names, in order.</summary>
    public IReadOnlyList<string> Chapters { get; private set; } = [];

    /// <summary>The quick copies of the chapters (beside a link to lib/, so their `#r "../lib/bin/..."` resolves).</summary>
    public string NotebooksFolder => Path.Combine(_temp.Path, "notebooks");

    /// <summary>Where the course runner wrote its executed chapters.</summary>
    public string RunnerOut => Path.Combine(_temp.Path, "out");

    /// <summary>Per client ("jupyter", "dotnet-repl"): the executed notebook path per chapter, or the failure text.</summary>
    public Dictionary<string, Dictionary<string, ClientRun>> Runs { get; } = new();

    /// <summary>A line per run with its wall time.</summary>
    public StringBuilder Log { get; } = new();

    /// <summary>The runner's exit code and output.</summary>
    public string RunnerResult { get; private set; } = "";

    /// <summary>The runner's exit code.</summary>
    public int RunnerExitCode { get; private set; }

    public async Task InitializeAsync()
    {
        SkipReason = RealClientsTheoryAttribute.MissingReason();
        if (SkipReason is not null)
        {
            return;
        }
        Directory.CreateSymbolicLink(Path.Combine(_temp.Path, "lib"), Path.Combine(Root, "lib"));
        // The local tools resolve from the manifest in a parent of the kernel's working directory.
        Directory.CreateDirectory(Path.Combine(_temp.Path, ".config"));
        File.Copy(Path.Combine(Root, ".config", "dotnet-tools.json"), Path.Combine(_temp.Path, ".config", "dotnet-tools.json"));
        Directory.CreateDirectory(NotebooksFolder);
        var chapters = new List<string>();
        foreach (var source in Directory.GetFiles(RepositoryLayout.NotebooksFolder(Root), "*.ipynb").OrderBy(p => p, StringComparer.Ordinal))
        {
            var name = Path.GetFileName(source);
            File.WriteAllText(Path.Combine(NotebooksFolder, name), File.ReadAllText(source).Replace("var quick = false;", "var quick = true;"));
            chapters.Add(name);
        }
        Chapters = chapters;
        // The kernelspec `dotnet dotnet-interactive jupyter install` writes, plus --http-local-only (README), in a private Jupyter folder.
        var kernelDir = Path.Combine(_temp.Path, "jupyter", "kernels", ".net-csharp");
        Directory.CreateDirectory(kernelDir);
        File.WriteAllText(Path.Combine(kernelDir, "kernel.json"), new JsonObject
        {
            ["argv"] = new JsonArray("dotnet", "dotnet-interactive", "jupyter", "--default-kernel", "csharp", "--http-local-only", "{connection_file}"),
            ["display_name"] = ".NET (C#)",
            ["language"] = "C#",
        }.ToJsonString());

        var watch = Stopwatch.StartNew();
        var output = new StringWriter();
        var error = new StringWriter();
        string[] args = ["run", "--notebooks", NotebooksFolder, "--out", RunnerOut, "--images", Path.Combine(_temp.Path, "images", "linux")];
        RunnerExitCode = await CommandLine.RunAsync(args, new CommandContext(output, error, Root, CancellationToken.None), CommandLine.DefaultCommands());
        RunnerResult = $"{output}\n{error}";
        Log.AppendLine($"course runner, every chapter: {watch.Elapsed.TotalSeconds:F0} s");

        Runs["jupyter"] = new();
        Runs["dotnet-repl"] = new();
        foreach (var chapter in Chapters)
        {
            var stem = Path.GetFileNameWithoutExtension(chapter);
            var jupyterOut = Path.Combine(_temp.Path, "jupyter-out", chapter);
            var replOut = Path.Combine(_temp.Path, "repl-out", chapter);
            Directory.CreateDirectory(Path.GetDirectoryName(jupyterOut)!);
            Directory.CreateDirectory(Path.GetDirectoryName(replOut)!);
            // One chapter at a time, both clients at once: each client's kernel runs the experiments on its own ports.
            var jupyter = RunClientAsync("jupyter", chapter, jupyterOut, "jupyter",
                ["nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=600", "--output", jupyterOut, Path.Combine(NotebooksFolder, chapter)]);
            var repl = RunClientAsync("dotnet-repl", chapter, replOut, "dotnet",
                ["dotnet-repl", "--run", Path.Combine(NotebooksFolder, chapter), "--exit-after-run", "--output-path", replOut]);
            await Task.WhenAll(jupyter, repl);
        }
    }

    private async Task RunClientAsync(string client, string chapter, string outPath, string file, string[] args)
    {
        var watch = Stopwatch.StartNew();
        var (exitCode, text) = await NotebookClientProcess.RunAsync(file, args, NotebooksFolder, _temp.Path, TimeSpan.FromMinutes(10));
        var ok = exitCode == 0 && File.Exists(outPath);
        // dotnet-repl exits 2 with nothing on its console when a cell failed; the failed cells' errors are in the notebook it saved.
        var saved = !ok && File.Exists(outPath) ? ErrorsIn(outPath) : "";
        Runs[client][chapter] = new ClientRun(ok ? outPath : null, $"{client} exited {exitCode}: {text[^Math.Min(text.Length, 3000)..]}{saved}");
        lock (Log)
        {
            Log.AppendLine($"{client}, {chapter}: {watch.Elapsed.TotalSeconds:F0} s");
        }
    }

    /// <summary>The error outputs of a notebook a client saved, one per line, for a failure message.</summary>
    private static string ErrorsIn(string path)
    {
        try
        {
            RealClientsTests.MimeTypesPerCodeCell(path, out var errors, out _);
            return errors.Count == 0 ? "\n(the saved notebook has no error output)" : "\nerror outputs in the saved notebook:\n" + string.Join("\n", errors);
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidOperationException or NullReferenceException)
        {
            return $"\n(the saved notebook could not be read: {e.Message})";
        }
    }

    public Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>One client's run of one chapter: the executed notebook, or null and what the client printed.</summary>
public sealed record ClientRun(string? ExecutedPath, string Failure);

/// <summary>Each chapter run by Jupyter and by dotnet-repl: no errors, no compiler warnings, the same output types per cell as the course runner.</summary>
[Collection(NotebookRunCollection.Name)]
public sealed class RealClientsTests(RealClientsFixture fixture, ITestOutputHelper log) : IClassFixture<RealClientsFixture>
{
    [RealClientsTheory]
    [InlineData("jupyter")]
    [InlineData("dotnet-repl")]
    public void EveryChapterQuick_RealClient_NoErrorsNoCompilerWarningsSameMimeTypesAsRunner(string client)
    {
        Assert.True(fixture.SkipReason is null, fixture.SkipReason);
        log.WriteLine(fixture.Log.ToString());
        Assert.True(fixture.RunnerExitCode == 0, $"course run exited {fixture.RunnerExitCode}.\n{fixture.RunnerResult}");
        var problems = new List<string>();
        foreach (var chapter in fixture.Chapters)
        {
            var run = fixture.Runs[client][chapter];
            if (run.ExecutedPath is null)
            {
                problems.Add($"{chapter}: {run.Failure}");
                continue;
            }
            var expected = MimeTypesPerCodeCell(Path.Combine(fixture.RunnerOut, chapter), out _, out _);
            var actual = MimeTypesPerCodeCell(run.ExecutedPath, out var errors, out var warnings);
            problems.AddRange(errors.Select(e => $"{chapter}: error output {e}"));
            problems.AddRange(warnings.Select(w => $"{chapter}: compiler warning {w}"));
            if (expected.Count != actual.Count)
            {
                problems.Add($"{chapter}: {actual.Count} code cells, the runner wrote {expected.Count}");
                continue;
            }
            for (var i = 0; i < expected.Count; i++)
            {
                if (!expected[i].SetEquals(actual[i]))
                {
                    problems.Add($"{chapter}, code cell {i + 1}: {string.Join(", ", actual[i].Order())} but the runner wrote {string.Join(", ", expected[i].Order())}");
                }
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [RealClientsTheory]
    [InlineData("jupyter")]
    [InlineData("dotnet-repl")]
    public void Chapter03Quick_RealClient_ProgressEndsShowingItsFinalState(string client)
    {
        Assert.True(fixture.SkipReason is null, fixture.SkipReason);
        var chapter = Assert.Single(fixture.Chapters, c => c.StartsWith("03-", StringComparison.Ordinal));
        var run = fixture.Runs[client][chapter];
        Assert.True(run.ExecutedPath is not null, run.Failure);
        var cell = JsonNode.Parse(File.ReadAllText(run.ExecutedPath))!["cells"]!.AsArray()
            .Single(c => Text(c!["source"]).Contains("ProgressLine", StringComparison.Ordinal))!;
        var shown = (cell["outputs"]?.AsArray() ?? []).Select(o => Text(o!["data"]?["text/plain"]) + Text(o!["data"]?["text/html"])).ToList();

        // Jupyter drops the kernel tool's display updates, so the first line stays; the final state must still be shown after it.
        const string finalState = @"at \d+ s: \d+ TIME_WAIT entries at that moment, \d+ whole lifetimes seen";
        Assert.Contains(shown, t => System.Text.RegularExpressions.Regex.IsMatch(t, finalState));
        if (client == "dotnet-repl")
        {
            // dotnet-repl saves every display update as an output of its own (81 for this line before ProgressLine held them back).
            var progress = shown.Where(t => System.Text.RegularExpressions.Regex.IsMatch(t, $"{finalState}|starting the connections|the last progress line")).ToList();
            Assert.True(progress.Count == 1, $"{progress.Count} progress outputs, expected 1:\n{string.Join("\n", progress)}");
        }
    }

    // Read as raw nbformat JSON: each client writes its own variant (text as string or list), and the check is about the file learners get.
    internal static List<HashSet<string>> MimeTypesPerCodeCell(string path, out List<string> errors, out List<string> warnings)
    {
        errors = [];
        warnings = [];
        var cells = new List<HashSet<string>>();
        var notebook = JsonNode.Parse(File.ReadAllText(path))!;
        foreach (var cell in notebook["cells"]!.AsArray())
        {
            if ((string?)cell!["cell_type"] != "code")
            {
                continue;
            }
            var types = new HashSet<string>(StringComparer.Ordinal);
            foreach (var output in cell["outputs"]?.AsArray() ?? [])
            {
                switch ((string?)output!["output_type"])
                {
                    case "error":
                        errors.Add($"{output["ename"]}: {output["evalue"]}");
                        break;
                    case "stream":
                        var text = Text(output["text"]);
                        if (text.Contains("warning CS", StringComparison.Ordinal))
                        {
                            warnings.Add(text.Trim());
                        }
                        break;
                    // The kernel's Jupyter bootstrap (a script that probes its HTTP port and loads require.js from a CDN) is the
                    // front end's, not the chapter's: it lands on the first cell that runs, with or without output of its own.
                    case "display_data" when Text(output["data"]?["text/html"]).Contains("loadDotnetInteractiveApi", StringComparison.Ordinal):
                        break;
                    case "display_data" or "execute_result":
                        foreach (var (mime, _) in output["data"]!.AsObject())
                        {
                            // The runner adds each figure's exported image beside its plotly JSON (for viewers that run no script); clients draw it live.
                            if (mime == Course.Runner.Charts.StaticFigureImages.SvgMimeType && output["data"]![AddressInUse.Display.MimeTypes.Plotly] is not null)
                            {
                                continue;
                            }
                            types.Add(mime);
                        }
                        break;
                }
            }
            cells.Add(types);
        }
        return cells;
    }

    private static string Text(JsonNode? node) => node switch
    {
        JsonArray lines => string.Concat(lines.Select(l => (string?)l)),
        null => "",
        _ => (string?)node ?? "",
    };
}

/// <summary>A theory that needs the real clients (Jupyter with the kernel tool, and dotnet-repl): skipped naming what is missing and its install command, failed instead under COURSE_REQUIRE_REAL_PARTS=1.</summary>
public sealed class RealClientsTheoryAttribute : RealPartsTheoryAttribute
{
    /// <summary>The parts a real-client run needs.</summary>
    public static readonly RealPart[] Parts = [RealPart.Jupyter, RealPart.KernelTool, RealPart.DotnetRepl];

    /// <summary>Needs the real clients; on Unix only, where the run links lib/ beside temp copies of the chapters.</summary>
    public RealClientsTheoryAttribute()
        : base(Parts)
    {
        UnixOnly = true;
    }

    /// <summary>Why the clients cannot run here, or null.</summary>
    public static string? MissingReason() =>
        !OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()
            ? "the real-client run links lib/ beside temp copies of the chapters, which this test does on Unix only"
            : RealParts.MissingReason(Parts);
}
