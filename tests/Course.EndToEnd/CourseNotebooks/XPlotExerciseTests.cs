using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Course.Runner.Execution;
using Course.Runner.Notebooks;

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
        var chapter = NotebookReader.ReadFile(Checkout.Path("notebooks", "01-address-already-in-use.ipynb"));
        var exercise = chapter.Cells.Where(c => c.CellType == CellType.Markdown).Select(c => CSharpBlock().Match(c.Source))
            .Single(m => m.Success && m.Value.Contains("XPlot.Plotly", StringComparison.Ordinal)).Groups[1].Value;
        var setup = chapter.Cells.First(c => c.CellType == CellType.Code).Source
            .Replace("../lib/bin/AddressInUse.dll", Checkout.Path("lib", "bin", "AddressInUse.dll"));
        var notebook = Notebook.CreatePolyglot();
        notebook.Add(NotebookCell.Code(setup));
        notebook.Add(NotebookCell.Code(exercise));
        var path = Path.Combine(_temp.Path, "exercise.ipynb");
        NotebookWriter.WriteFile(notebook, path);

        var result = await new NotebookExecutor().ExecuteFileAsync(path, new ExecutionOptions { AllowNuGet = true });

        Assert.True(result.Succeeded, result.Failure?.Message);
        var figure = result.Notebook.Cells[1].Outputs.MimeData().Select(d => d.TryGetJson("application/vnd.plotly.v1+json", out var j) ? j : null).Single(j => j is not null)!;
        Assert.Equal("My restarts with no options", (string?)figure["layout"]!["title"]!["text"]);
        Assert.Equal("outcome", (string?)figure["layout"]!["xaxis"]!["title"]!["text"]);
        Assert.Equal(5, figure["data"]![0]!["y"]!.AsArray().Sum(v => (int)v!));
    }

    [GeneratedRegex("```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
