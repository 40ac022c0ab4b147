using Course.Runner.Charts;
using Course.Runner.Cli;
using Course.Runner.Html;
using Course.Runner.Pipeline;
using Course.Runner.Tests.Fixtures;

namespace Course.Runner.Tests.Pipeline;

/// <summary>The main job without the command line: each chapter is read once and carried through execution, pages and index.</summary>
[Collection(NotebookRunCollection.Name)]
public sealed class CourseRunTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public CourseRunTests()
    {
        Directory.CreateDirectory(Notebooks);
        File.WriteAllText(Path.Combine(Notebooks, "01-alpha.ipynb"), Chapter("# 01 — Alpha"));
        File.WriteAllText(Path.Combine(Notebooks, "02-beta.ipynb"), Chapter("# 02 — Beta"));
    }

    private string Notebooks => Path.Combine(_temp.Path, "notebooks");

    private RunFolders Folders => new(Notebooks, Path.Combine(_temp.Path, "out"), Path.Combine(_temp.Path, "images"));

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task RunAsync_NotebooksDamagedOnceTheFirstChapterStarts_EveryChapterRunsAndShowsWhatWasLoaded()
    {
        var output = new StringWriter();
        // Once the run has started, every notebook on disk is no notebook at all: a second read anywhere would fail a chapter or the index.
        var damaged = false;
        var reporter = new ObservedRunReporter(new PlainRunReporter(output, output))
        {
            OnChapterStarting = _ =>
            {
                if (!damaged)
                {
                    damaged = true;
                    foreach (var file in Directory.GetFiles(Notebooks, "*.ipynb"))
                    {
                        File.WriteAllText(file, "read twice");
                    }
                }
            },
        };
        var plan = new RunPlan(Folders, [], RunSettings.Default with { Jobs = 1 });

        var summary = await new CourseRun(log => new NoOpChartImageExporter(log), new FixedPlotlyScriptSource("")).RunAsync(plan, reporter, CancellationToken.None)
            .WaitAsync(TimeSpan.FromMinutes(2));

        Assert.True(summary.AllSucceeded, output.ToString());
        Assert.Equal(["01-alpha", "02-beta"], summary.Chapters.Select(c => c.Chapter));
        Assert.True(damaged, "no chapter started");
        var second = File.ReadAllText(Path.Combine(Folders.Out, "02-beta.html"));
        Assert.Contains("02 — Beta", second);
        Assert.Contains("01 — Alpha", second);
        var index = File.ReadAllText(Path.Combine(Folders.Out, "index.html"));
        Assert.Contains("01 — Alpha", index);
        Assert.Contains("02 — Beta", index);
    }

    [Fact]
    public async Task RunAsync_SelectorMatchesNothing_ThrowsUsageBeforeWritingAnything()
    {
        var plan = new RunPlan(Folders, ["07"], RunSettings.Default);

        var error = await Assert.ThrowsAsync<UsageException>(() =>
            new CourseRun(log => new NoOpChartImageExporter(log), new FixedPlotlyScriptSource("")).RunAsync(plan, new PlainRunReporter(TextWriter.Null, TextWriter.Null), CancellationToken.None));

        Assert.Contains("Available chapters: 01-alpha, 02-beta", error.Message);
        Assert.False(Directory.Exists(Folders.Out));
    }

    /// <summary>A chapter notebook of one heading and one code cell, as nbformat 4.5 JSON with Polyglot's metadata.</summary>
    private static string Chapter(string heading) => $$"""
        {
         "cells": [
          { "cell_type": "markdown", "id": "title", "metadata": {}, "source": [{{System.Text.Json.JsonSerializer.Serialize(heading)}}] },
          { "cell_type": "code", "execution_count": null, "id": "sum", "metadata": { "polyglot_notebook": { "kernelName": "csharp" } }, "outputs": [], "source": ["1 + 1"] }
         ],
         "metadata": {
          "kernelspec": { "display_name": ".NET (C#)", "language": "C#", "name": ".net-csharp" },
          "language_info": { "name": "polyglot-notebook" },
          "polyglot_notebook": { "kernelInfo": { "defaultKernelName": "csharp", "items": [{ "aliases": [], "name": "csharp" }] } }
         },
         "nbformat": 4,
         "nbformat_minor": 5
        }
        """;
}
