using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Course.Runner.Execution;
using Course.Runner.Notebooks;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.EndToEnd.RealClients;

/// <summary>One probe notebook using every magic the kernel tool lists for C#, run by the course runner and by Jupyter with the kernel tool: the same outputs, run-specific values masked.</summary>
[Collection(NotebookRunCollection.Name)]
public sealed partial class ProbeNotebookTests : IDisposable
{
    private static readonly string Root = Checkout.Root;

    // The directives the kernel tool lists that select kernels the runner does not host (F#, PowerShell, HTML, JavaScript, Mermaid,
    // HTTP) or connect remote ones; the README says the runner hosts C# and the value kernel only.
    private static readonly HashSet<string> ToolOnly = new(StringComparer.Ordinal)
    {
        "#!f#", "#!F#", "#!fsharp", "#!pwsh", "#!powershell", "#!html", "#!http", "#!javascript", "#!js", "#!mermaid",
        "#!connect", "signalr", "stdio", "jupyter", "named-pipe", "kql", "sql",
    };

    private static readonly string[] ProbeCells =
    [
        "#!lsmagic",
        "#!about",
        "#!markdown\n# Probe *markdown*",
        "var answer = 6 * 7;\n#!who",
        "#!whos",
        "#!time\nanswer + 1",
        "#!set --name fromSet --value 42\nfromSet",
        "#!value --name greeting\nhello from value",
        "#!share --from value greeting\ngreeting",
        "#!import imported.dib\nimported",
        "#!csharp\n\"from #!csharp\"",
        "#!c#\n\"from #!c#\"",
        "#!C#\n\"from #!C#\"",
    ];

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [RealPartsFact(RealPart.Jupyter, RealPart.KernelTool, UnixOnly = true)]
    public async Task ProbeNotebook_EveryMagic_RunnerAndJupyterGiveTheSameOutputs()
    {
        var folder = Path.Combine(_temp.Path, "probe");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "imported.dib"), "#!csharp\n\nvar imported = \"from #!import\";\n");
        var notebook = NotebookCells.CreatePolyglot();
        for (var i = 0; i < ProbeCells.Length; i++)
        {
            notebook.AddCell(NotebookCells.Code(ProbeCells[i], $"c{i + 1}"));
        }

        var source = Path.Combine(folder, "probe.ipynb");
        NotebookWriter.WriteFile(notebook, source);

        var runnerResult = await new NotebookExecutor().ExecuteFileAsync(source);
        var runnerOut = Path.Combine(_temp.Path, "runner.ipynb");
        NotebookWriter.WriteFile(runnerResult.Notebook, runnerOut);
        var jupyterOut = Path.Combine(_temp.Path, "jupyter.ipynb");
        var jupyterLog = await RunJupyterAsync(_temp.Path, source, jupyterOut);

        Assert.True(File.Exists(jupyterOut), jupyterLog);
        var runner = Normalise(runnerOut);
        var jupyter = Normalise(jupyterOut);
        Assert.Equal(ProbeCells.Length, runner.Count);
        Assert.Equal(ProbeCells.Length, jupyter.Count);
        var differences = Enumerable.Range(0, ProbeCells.Length)
            .Where(i => runner[i] != jupyter[i])
            .Select(i => $"cell {i + 1} ({ProbeCells[i].Split('\n')[0]}):\n  runner:  {runner[i]}\n  jupyter: {jupyter[i]}")
            .ToList();
        Assert.True(differences.Count == 0, string.Join("\n", differences));
        // Guards against both hosts failing alike: every cell produced something and none an error.
        Assert.All(runner, cell => Assert.False(string.IsNullOrEmpty(cell) || cell.Contains("error:", StringComparison.Ordinal), cell));
    }

    /// <summary>Runs the notebook with Jupyter's nbconvert and the kernel tool (private Jupyter folders under tempRoot, the repository's tool manifest copied there); returns its exit code and output.</summary>
    internal static async Task<string> RunJupyterAsync(string tempRoot, string notebook, string outPath)
    {
        if (!File.Exists(Path.Combine(tempRoot, ".config", "dotnet-tools.json")))
        {
            // The local tool resolves from the manifest in a parent of the kernel's working directory.
            Directory.CreateDirectory(Path.Combine(tempRoot, ".config"));
            File.Copy(Path.Combine(Root, ".config", "dotnet-tools.json"), Path.Combine(tempRoot, ".config", "dotnet-tools.json"));
        }

        // The kernelspec `dotnet dotnet-interactive jupyter install` writes, plus --http-local-only (README), in a private Jupyter folder.
        var kernelDir = Path.Combine(tempRoot, "jupyter", "kernels", ".net-csharp");
        Directory.CreateDirectory(kernelDir);
        File.WriteAllText(Path.Combine(kernelDir, "kernel.json"), new JsonObject
        {
            ["argv"] = new JsonArray("dotnet", "dotnet-interactive", "jupyter", "--default-kernel", "csharp", "--http-local-only", "{connection_file}"),
            ["display_name"] = ".NET (C#)",
            ["language"] = "C#",
        }.ToJsonString());
        var (exitCode, output) = await NotebookClientProcess.RunAsync("jupyter",
            ["nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=300", "--output", outPath, notebook],
            Path.GetDirectoryName(notebook)!, tempRoot, TimeSpan.FromMinutes(6));
        return $"jupyter exited {exitCode}: {output}";
    }

    /// <summary>Per code cell, its outputs as one comparable line: output type, mime type and text, with run-specific values masked.</summary>
    private static List<string> Normalise(string path)
    {
        var cells = JsonNode.Parse(File.ReadAllText(path))!["cells"]!.AsArray().Where(c => (string?)c!["cell_type"] == "code");
        return cells.Select(cell => string.Join(" | ", cell!["outputs"]!.AsArray().SelectMany(Describe))).ToList();
    }

    private static IEnumerable<string> Describe(JsonNode? output)
    {
        var type = (string)output!["output_type"]!;
        if (type == "stream")
        {
            yield return $"stream {(string?)output["name"]}: {Text(output["text"])}";
            yield break;
        }

        if (type == "error")
        {
            yield return $"error: {(string?)output["ename"]}: {(string?)output["evalue"]}";
            yield break;
        }

        foreach (var (mime, value) in output["data"]!.AsObject().OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var text = Text(value);
            // The kernel's Jupyter bootstrap (a script probing its HTTP port) is the front end's, not the cell's.
            if (text.Contains("loadDotnetInteractiveApi", StringComparison.Ordinal))
            {
                yield break;
            }

            if (Mask(text) is { } masked)
            {
                yield return $"{type} {mime}: {masked}";
            }
        }
    }

    private static string? Mask(string text)
    {
        text = WallTime().Replace(text, "Wall time: <elapsed>ms");
        // #!about: the tool shows its logo and its own version; the runner is no tool. The .NET Interactive library version is shared.
        if (text.Contains("<b>.NET Interactive</b>", StringComparison.Ordinal))
        {
            return "about: library " + LibraryVersion().Match(text).Groups[1].Value.Split('+')[0];
        }

        // #!lsmagic: per kernel the directive names, without the kernels (and their selectors) only the tool hosts.
        if (text.Contains(" kernel</h3>", StringComparison.Ordinal))
        {
            var section = KernelHeading().Match(text).Groups[1].Value;
            if (section is not (".NET" or "csharp" or "value"))
            {
                return null;
            }

            return $"lsmagic {section}: " + string.Join(" ", DirectiveName().Matches(text).Select(m => System.Net.WebUtility.HtmlDecode(m.Groups[1].Value)).Where(n => !ToolOnly.Contains(n)));
        }

        return text.Replace("\r\n", "\n").Trim();
    }

    private static string Text(JsonNode? node) => node switch
    {
        JsonArray lines => string.Concat(lines.Select(l => (string?)l)),
        _ => (string?)node ?? "",
    };

    [GeneratedRegex(@"Wall time: [0-9.]+ms")]
    private static partial Regex WallTime();

    [GeneratedRegex(@"Library version: </b>([^<]+)<")]
    private static partial Regex LibraryVersion();

    [GeneratedRegex(@"<h3>(.*?) kernel</h3>")]
    private static partial Regex KernelHeading();

    [GeneratedRegex("color:#512bd4\">(.*?)</span>")]
    private static partial Regex DirectiveName();
}
