using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Course.Runner.Execution;
using Course.Runner.Notebooks;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.EndToEnd.CourseNotebooks;

/// <summary>Chapter 01's XPlot.Plotly exercise, as a learner pastes it: the package restores, and the chart reaches the course's offline Figure.</summary>
[Collection(NotebookRunCollection.Name)]
public sealed partial class XPlotExerciseTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [RealPartsFact(RealPart.NuGet)]
    public async Task Chapter01XPlotExercise_PastedAfterTheSetupCell_DrawsTheLearnersOwnCasesAsAFigure()
    {
        var path = WriteExerciseNotebook();

        var result = await new NotebookExecutor().ExecuteFileAsync(path, new ExecutionOptions { AllowNuGet = true });

        Assert.True(result.Succeeded, result.Failure?.Message);
        var figure = result.Notebook.Elements[1].Outputs.MimeData().Select(d => d.TryGetJson("application/vnd.plotly.v1+json", out var j) ? j : null).Single(j => j is not null)!;
        Assert.Equal("My restarts with no options", (string?)figure["layout"]!["title"]!["text"]);
        Assert.Equal("outcome", (string?)figure["layout"]!["xaxis"]!["title"]!["text"]);
        Assert.Equal(5, figure["data"]![0]!["y"]!.AsArray().Sum(v => (int)v!));
    }

    // The chapter's setup cell with an absolute path to the lab, then the exercise's code block as a learner pastes it.
    private string WriteExerciseNotebook()
    {
        var chapter = NotebookReader.ReadFile(Checkout.Path("notebooks", "01-address-already-in-use.ipynb"));
        var exercise = chapter.Elements.Where(c => c.IsMarkdown()).Select(c => CSharpBlock().Match(c.Contents))
            .Single(m => m.Success && m.Value.Contains("XPlot.Plotly", StringComparison.Ordinal)).Groups[1].Value;
        // The block is indented into its list item (dotnet-repl fails a notebook with a `#r "nuget:` line at a markdown line's start).
        exercise = string.Join("\n", exercise.Split('\n').Select(line => line.StartsWith("   ", StringComparison.Ordinal) ? line[3..] : line));
        var setup = chapter.Elements.First(c => c.IsCode()).Contents
            .Replace("../lib/bin/AddressInUse.dll", Checkout.Path("lib", "bin", "AddressInUse.dll"));
        var notebook = NotebookCells.CreatePolyglot();
        notebook.AddCell(NotebookCells.Code(setup));
        notebook.AddCell(NotebookCells.Code(exercise));
        var path = Path.Combine(_temp.Path, "exercise.ipynb");
        NotebookWriter.WriteFile(notebook, path);
        return path;
    }

    [RealPartsFact(RealPart.NuGet, RealPart.Jupyter, RealPart.KernelTool, UnixOnly = true)]
    public async Task Chapter01XPlotExercise_InJupyterWithTheKernelTool_DrawsTheLearnersOwnCasesAsAFigure()
    {
        var path = WriteExerciseNotebook();
        var outPath = Path.Combine(_temp.Path, "exercise-jupyter.ipynb");

        var log = await Course.EndToEnd.RealClients.ProbeNotebookTests.RunJupyterAsync(_temp.Path, path, outPath);

        Assert.True(File.Exists(outPath), log);
        var outputs = JsonNode.Parse(File.ReadAllText(outPath))!["cells"]!.AsArray().Where(c => (string?)c!["cell_type"] == "code").ElementAt(1)!["outputs"]!.AsArray();
        Assert.DoesNotContain(outputs, o => (string?)o!["output_type"] == "error");
        var figure = outputs.Select(o => o!["data"]?["application/vnd.plotly.v1+json"]).Single(j => j is not null)!;
        // The kernel tool sends the figure's JSON as text; Jupyter keeps it so.
        if (figure is JsonValue text && text.TryGetValue<string>(out var json))
        {
            figure = JsonNode.Parse(json)!;
        }

        Assert.Equal("My restarts with no options", (string?)figure["layout"]!["title"]!["text"]);
        Assert.Equal("outcome", (string?)figure["layout"]!["xaxis"]!["title"]!["text"]);
        Assert.Equal(5, figure["data"]![0]!["y"]!.AsArray().Sum(v => (int)v!));
    }

    [GeneratedRegex("```csharp\n(.*?) *```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
