using Course.Runner.Notebooks;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Tests.Notebooks;

public sealed class NotebookLintTests
{
    [Fact]
    public void Check_PolyglotNotebook_HasNoIssues()
    {
        var notebook = NotebookCells.CreatePolyglot();
        notebook.AddCell(NotebookCells.Markdown("# T"));
        notebook.AddCell(NotebookCells.Code("1"));

        Assert.Empty(NotebookLint.Check(notebook));
    }

    [Fact]
    public void Check_PolyglotMetadata_HasTheExactValuesVsCodeWrites()
    {
        var metadata = NotebookCells.CreatePolyglot().Metadata;

        Assert.Equal(".NET (C#)", Metadata.FindString(metadata, "kernelspec", "display_name"));
        Assert.Equal("C#", Metadata.FindString(metadata, "kernelspec", "language"));
        Assert.Equal(".net-csharp", Metadata.FindString(metadata, "kernelspec", "name"));
        Assert.Equal("polyglot-notebook", Metadata.FindString(metadata, "language_info", "name"));
        Assert.Equal("csharp", Metadata.FindString(metadata, "polyglot_notebook", "kernelInfo", "defaultKernelName"));
        var item = Assert.IsAssignableFrom<IDictionary<string, object>>(Assert.Single(Assert.IsAssignableFrom<IEnumerable<object>>(Metadata.Find(metadata, "polyglot_notebook", "kernelInfo", "items"))));
        Assert.Equal("csharp", Metadata.FindString(item, "name"));
        Assert.Empty(Assert.IsAssignableFrom<IEnumerable<object>>(Metadata.Find(item, "aliases")));
    }

    [Fact]
    public void Check_WrongKernelspec_WarnsWithLocationAndFix()
    {
        var notebook = NotebookCells.CreatePolyglot();
        Metadata.Child(notebook.Metadata, "kernelspec")["name"] = "python3";

        var issue = Assert.Single(NotebookLint.Check(notebook));

        Assert.Equal("metadata.kernelspec.name", issue.Location);
        Assert.Contains("\"python3\"", issue.Problem);
        Assert.Contains(".net-csharp", issue.Problem);
        Assert.Contains("lint --fix", issue.Fix);
    }

    [Fact]
    public void Check_NotebookWithoutMetadata_ReportsEachMissingPart()
    {
        var notebook = new InteractiveDocument();
        notebook.AddCell(new InteractiveDocumentElement("1"));

        var locations = NotebookLint.Check(notebook).Select(i => i.Location).ToList();

        Assert.Contains("metadata.kernelspec", locations);
        Assert.Contains("metadata.language_info", locations);
        Assert.Contains("metadata.polyglot_notebook.kernelInfo", locations);
        Assert.Contains("cell 1 (id cell-1)", locations);
    }

    [Fact]
    public void Check_DuplicateAndMissingIds_AreErrors()
    {
        var notebook = NotebookCells.CreatePolyglot();
        notebook.Add(NotebookCells.Markdown("a", "same"));
        notebook.Add(NotebookCells.Markdown("b", "same"));
        notebook.Add(NotebookCells.Markdown("c"));

        var errors = NotebookLint.Check(notebook).Where(i => i.Severity == LintSeverity.Error).ToList();

        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.Problem.Contains("same id as cell 1", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Location == "cell 3" && e.Problem.Contains("no id", StringComparison.Ordinal));
    }

    [Fact]
    public void Fix_AddsMetadataAndIds_KeepingOtherMetadata()
    {
        const string older = """{"cells": [{"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": "1"}], "metadata": {"mine": 1}, "nbformat": 4, "nbformat_minor": 4}""";
        var notebook = NotebookReader.Parse(older, "old.ipynb", out var formatMinor);
        Assert.Contains(NotebookLint.Check(notebook, formatMinor), i => i.Location == "nbformat_minor");

        NotebookLint.Fix(notebook);
        var written = NotebookWriter.Serialize(notebook);

        Assert.Empty(NotebookLint.Check(NotebookReader.Parse(written, "fixed.ipynb", out var writtenMinor), writtenMinor));
        Assert.Equal(5, writtenMinor);
        Assert.Equal(1.0, Metadata.Find(notebook.Metadata, "mine"));
        Assert.Contains("\"mine\": 1,", written);
    }

    [Fact]
    public void Check_VerdictCellShowingItsSource_WarnsAndNamesTheMetadata()
    {
        var notebook = NotebookCells.CreatePolyglot();
        notebook.AddCell(NotebookCells.Code("text.Check(\"p\", \"A sentence.\", cases, c => c.Ok)"));

        var issue = Assert.Single(NotebookLint.Check(notebook));

        Assert.Contains("source_hidden", issue.Problem);
        Assert.Contains("lint --fix", issue.Fix);
    }

    [Fact]
    public void Fix_VerdictCells_SourceHiddenKeptThroughWriteAndRead_ExperimentCellsStayVisible()
    {
        var notebook = NotebookCells.CreatePolyglot();
        var check = notebook.AddCell(NotebookCells.Code("ChapterText.Together(\n    text.Check(\"p\", \"A sentence.\", cases, c => c.Ok))"));
        var experiment = notebook.AddCell(NotebookCells.Code("var r = await Run.Async();\ntext.Check(\"p\", \"s\", r, c => c.Ok)"));
        var plain = notebook.AddCell(NotebookCells.Code("orders.Chart"));

        NotebookLint.Fix(notebook);
        var reread = NotebookReader.Parse(NotebookWriter.Serialize(notebook), "lint-test.ipynb");

        Assert.Empty(NotebookLint.Check(reread));
        Assert.True(VerdictCells.IsSourceHidden(reread.Elements[0]));
        Assert.Equal("csharp", Metadata.FindString(reread.Elements[0].Metadata, "polyglot_notebook", "kernelName"));
        Assert.False(VerdictCells.IsSourceHidden(reread.Elements[1]), "a cell that runs an experiment keeps its code visible");
        Assert.False(VerdictCells.IsSourceHidden(reread.Elements[2]));
    }
}
