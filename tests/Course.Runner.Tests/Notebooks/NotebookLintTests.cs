using System.Text.Json.Nodes;
using Course.Runner.Notebooks;

namespace Course.Runner.Tests.Notebooks;

public sealed class NotebookLintTests
{
    [Fact]
    public void Check_PolyglotNotebook_HasNoIssues()
    {
        var notebook = Notebook.CreatePolyglot();
        notebook.Add(NotebookCell.Markdown("# T"));
        notebook.Add(NotebookCell.Code("1"));

        Assert.Empty(NotebookLint.Check(notebook));
    }

    [Fact]
    public void Check_PolyglotMetadata_HasTheExactValuesVsCodeWrites()
    {
        var metadata = Notebook.CreatePolyglot().Metadata;

        Assert.Equal(".NET (C#)", (string?)metadata["kernelspec"]!["display_name"]);
        Assert.Equal("C#", (string?)metadata["kernelspec"]!["language"]);
        Assert.Equal(".net-csharp", (string?)metadata["kernelspec"]!["name"]);
        Assert.Equal("polyglot-notebook", (string?)metadata["language_info"]!["name"]);
        Assert.Equal("csharp", (string?)metadata["polyglot_notebook"]!["kernelInfo"]!["defaultKernelName"]);
        Assert.Equal("csharp", (string?)metadata["polyglot_notebook"]!["kernelInfo"]!["items"]![0]!["name"]);
        Assert.Empty(metadata["polyglot_notebook"]!["kernelInfo"]!["items"]![0]!["aliases"]!.AsArray());
    }

    [Fact]
    public void Check_WrongKernelspec_WarnsWithLocationAndFix()
    {
        var notebook = Notebook.CreatePolyglot();
        notebook.Metadata["kernelspec"]!["name"] = "python3";

        var issue = Assert.Single(NotebookLint.Check(notebook));

        Assert.Equal("metadata.kernelspec.name", issue.Location);
        Assert.Contains("\"python3\"", issue.Problem);
        Assert.Contains(".net-csharp", issue.Problem);
        Assert.Contains("lint --fix", issue.Fix);
    }

    [Fact]
    public void Check_NotebookWithoutMetadata_ReportsEachMissingPart()
    {
        var notebook = new Notebook();
        notebook.Add(new NotebookCell(CellType.Code, "1"));

        var locations = NotebookLint.Check(notebook).Select(i => i.Location).ToList();

        Assert.Contains("metadata.kernelspec", locations);
        Assert.Contains("metadata.language_info", locations);
        Assert.Contains("metadata.polyglot_notebook.kernelInfo", locations);
        Assert.Contains("cell 1 (id cell-1)", locations);
    }

    [Fact]
    public void Check_DuplicateAndMissingIds_AreErrors()
    {
        var notebook = Notebook.CreatePolyglot();
        notebook.Cells.Add(NotebookCell.Markdown("a", "same"));
        notebook.Cells.Add(NotebookCell.Markdown("b", "same"));
        notebook.Cells.Add(NotebookCell.Markdown("c"));

        var errors = NotebookLint.Check(notebook).Where(i => i.Severity == LintSeverity.Error).ToList();

        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.Problem.Contains("same id as cell 1", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Location == "cell 3" && e.Problem.Contains("no id", StringComparison.Ordinal));
    }

    [Fact]
    public void Fix_AddsMetadataAndIds_KeepingOtherMetadata()
    {
        var notebook = new Notebook(new JsonObject { ["mine"] = 1 }, formatMinor: 4);
        notebook.Cells.Add(new NotebookCell(CellType.Code, "1"));

        NotebookLint.Fix(notebook);

        Assert.Empty(NotebookLint.Check(notebook));
        Assert.Equal(1, (int?)notebook.Metadata["mine"]);
        Assert.Equal(5, notebook.NbFormatMinor);
    }

    [Fact]
    public void Check_VerdictCellShowingItsSource_WarnsAndNamesTheMetadata()
    {
        var notebook = Notebook.CreatePolyglot();
        notebook.Add(NotebookCell.Code("text.Check(\"p\", \"A sentence.\", cases, c => c.Ok)"));

        var issue = Assert.Single(NotebookLint.Check(notebook));

        Assert.Contains("source_hidden", issue.Problem);
        Assert.Contains("lint --fix", issue.Fix);
    }

    [Fact]
    public void Fix_VerdictCells_SourceHiddenKeptThroughWriteAndRead_ExperimentCellsStayVisible()
    {
        var notebook = Notebook.CreatePolyglot();
        var check = notebook.Add(NotebookCell.Code("ChapterText.Together(\n    text.Check(\"p\", \"A sentence.\", cases, c => c.Ok))"));
        var experiment = notebook.Add(NotebookCell.Code("var r = await Run.Async();\ntext.Check(\"p\", \"s\", r, c => c.Ok)"));
        var plain = notebook.Add(NotebookCell.Code("orders.Chart"));

        NotebookLint.Fix(notebook);
        var reread = NotebookReader.Parse(NotebookWriter.Serialize(notebook), "lint-test.ipynb");

        Assert.Empty(NotebookLint.Check(reread));
        Assert.True(VerdictCells.IsSourceHidden(reread.Cells[0]));
        Assert.Equal("csharp", (string?)reread.Cells[0].Metadata["polyglot_notebook"]!["kernelName"]);
        Assert.False(VerdictCells.IsSourceHidden(reread.Cells[1]), "a cell that runs an experiment keeps its code visible");
        Assert.False(VerdictCells.IsSourceHidden(reread.Cells[2]));
    }
}
