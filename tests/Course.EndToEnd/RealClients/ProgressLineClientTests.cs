using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Course.Runner.Cli;

namespace Course.EndToEnd.RealClients;

/// <summary>The course's progress line in dotnet-repl, which saves every display update as an output of its own: the saved notebook keeps one progress output, showing the final state.</summary>
[Collection(NotebookRunCollection.Name)]
public sealed partial class ProgressLineClientTests : IDisposable
{
    private static readonly string Root = RepositoryLayout.FindRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("The tests run from inside the repository (a folder holding Course.sln).");

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [RealPartsFact(RealPart.DotnetRepl, UnixOnly = true)]
    public async Task ProgressLine_InDotnetRepl_SavedNotebookHasOneProgressOutputShowingTheFinalState()
    {
        var library = Path.Combine(Root, "lib", "bin", "AddressInUse.dll");
        Assert.True(File.Exists(library), $"{library} is missing; build it with `dotnet build lib/AddressInUse`.");
        var source = Path.Combine(_temp.Path, "progress-probe.ipynb");
        File.WriteAllText(source, ProbeNotebook(
            $"#r \"{library}\"",
            """
            var progress = new AddressInUse.Display.ProgressLine("starting the probe", line => display(line).Update);
            for (var step = 1; step <= 5; step++)
            {
                progress.Report($"probe step {step} of 5");
            }
            progress.Finish();
            "after the progress"
            """).ToJsonString());
        var saved = Path.Combine(_temp.Path, "saved.ipynb");
        // The local tool resolves from the manifest in a parent of its working directory.
        Directory.CreateDirectory(Path.Combine(_temp.Path, ".config"));
        File.Copy(Path.Combine(Root, ".config", "dotnet-tools.json"), Path.Combine(_temp.Path, ".config", "dotnet-tools.json"));

        var (exitCode, output) = await NotebookClientProcess.RunAsync("dotnet",
            ["dotnet-repl", "--run", source, "--exit-after-run", "--output-path", saved], _temp.Path, _temp.Path, TimeSpan.FromMinutes(5));

        Assert.True(exitCode == 0 && File.Exists(saved), $"dotnet-repl exited {exitCode}: {output}");
        var cell = JsonNode.Parse(File.ReadAllText(saved))!["cells"]!.AsArray()[1]!;
        var texts = (cell["outputs"]?.AsArray() ?? []).Select(OutputText).ToList();
        var progressOutputs = texts.Where(t => ProgressText().IsMatch(t)).ToList();
        Assert.True(progressOutputs.Count == 1, $"{progressOutputs.Count} progress outputs, expected 1:\n{string.Join("\n", texts)}");
        Assert.Contains("probe step 5 of 5", progressOutputs[0]);
        // The cell's own result is still saved after it: the line held back nothing else.
        Assert.Contains(texts, t => t.Contains("after the progress", StringComparison.Ordinal));
    }

    /// <summary>An nbformat 4.5 Polyglot C# notebook with one code cell per source.</summary>
    internal static JsonObject ProbeNotebook(params string[] sources) => new()
    {
        ["cells"] = new JsonArray(sources.Select((s, i) => (JsonNode)new JsonObject
        {
            ["cell_type"] = "code",
            ["execution_count"] = null,
            ["id"] = $"probe{i + 1}",
            ["metadata"] = new JsonObject { ["polyglot_notebook"] = new JsonObject { ["kernelName"] = "csharp" } },
            ["outputs"] = new JsonArray(),
            ["source"] = s,
        }).ToArray()),
        ["metadata"] = new JsonObject
        {
            ["kernelspec"] = new JsonObject { ["display_name"] = ".NET (C#)", ["language"] = "C#", ["name"] = ".net-csharp" },
            ["language_info"] = new JsonObject { ["name"] = "polyglot-notebook" },
            ["polyglot_notebook"] = new JsonObject
            {
                ["kernelInfo"] = new JsonObject
                {
                    ["defaultKernelName"] = "csharp",
                    ["items"] = new JsonArray(new JsonObject { ["aliases"] = new JsonArray(), ["name"] = "csharp" }),
                },
            },
        },
        ["nbformat"] = 4,
        ["nbformat_minor"] = 5,
    };

    private static string OutputText(JsonNode? output) =>
        output?["data"] is JsonObject data
            ? string.Concat(data.Select(p => Text(p.Value)))
            : Text(output?["text"]);

    private static string Text(JsonNode? node) => node switch
    {
        JsonArray lines => string.Concat(lines.Select(l => (string?)l)),
        JsonValue value when value.TryGetValue<string>(out var s) => s,
        _ => "",
    };

    [GeneratedRegex("starting the probe|probe step|finished; the last progress line")]
    private static partial Regex ProgressText();
}
