using System.Text.Json.Nodes;
using Course.Runner.Notebooks;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Tests.Notebooks;

/// <summary>The course's reading of Documents' cells: kinds, tags, attachments, ids and copies.</summary>
public sealed class NotebookCellsTests
{
    private const string ThreeKinds = """
        {"cells": [
          {"cell_type": "raw", "id": "r", "metadata": {}, "source": "#!csharp\nnot code"},
          {"cell_type": "markdown", "id": "m", "metadata": {}, "source": "![d](attachment:d.png)", "attachments": {"d.png": {"image/png": ["iVBO", "Rw=="]}}},
          {"cell_type": "code", "execution_count": 2, "id": "c", "metadata": {"polyglot_notebook": {"kernelName": "csharp"}, "tags": ["parameters"]}, "outputs": [], "source": "var quick = false;"}],
         "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        """;

    [Fact]
    public void Read_RawMarkdownAndCodeCells_KeepTheirKindsAndOnlyCodeRuns()
    {
        var notebook = NotebookReader.Parse(ThreeKinds, "kinds.ipynb");

        Assert.Equal(["raw", "markdown", "code"], notebook.Elements.Select(c => c.CellTypeName()));
        Assert.Equal([false, false, true], notebook.Elements.Select(c => c.IsCode()));
        Assert.True(notebook.Elements[0].IsRaw());
        Assert.True(notebook.Elements[1].IsMarkdown());
    }

    [Fact]
    public void Attachments_OfAMarkdownCell_AreReadWrittenBackBesideTheMetadata()
    {
        var notebook = NotebookReader.Parse(ThreeKinds, "kinds.ipynb");

        var lines = Assert.IsAssignableFrom<IEnumerable<object>>(Metadata.Find(notebook.Elements[1].Attachments(), "d.png", "image/png"));
        Assert.Equal(["iVBO", "Rw=="], lines);
        Assert.Null(notebook.Elements[2].Attachments());
        var written = JsonNode.Parse(NotebookWriter.Serialize(notebook))!["cells"]![1]!;
        Assert.Equal("Rw==", (string?)written["attachments"]!["d.png"]!["image/png"]![1]);
        Assert.Empty(written["metadata"]!.AsObject());
    }

    [Fact]
    public void Read_CellWithAttachmentsAndAnAttachmentsMetadataKey_IsRefusedNamingTheCellAndTheFix()
    {
        var clash = ThreeKinds.Replace("\"id\": \"m\", \"metadata\": {}", "\"id\": \"m\", \"metadata\": {\"attachments\": 1}");

        var error = Assert.Throws<NotebookFormatException>(() => NotebookReader.Parse(clash, "clash.ipynb"));

        Assert.Contains("cell 2 (id m)", error.Message);
        Assert.Contains("Fix:", error.Message);
    }

    [Fact]
    public void Tags_AddTag_AddsOnceAndKeepsTheOthers()
    {
        var cell = NotebookReader.Parse(ThreeKinds, "kinds.ipynb").Elements[2];

        cell.AddTag("injected-parameters");
        cell.AddTag("injected-parameters");

        Assert.Equal(["parameters", "injected-parameters"], cell.Tags());
        Assert.True(cell.HasTag("parameters"));
        Assert.False(NotebookCells.Markdown("x").HasTag("parameters"));
    }

    [Fact]
    public void Copy_ChangedDeeply_LeavesTheOriginalAsItWas()
    {
        var original = NotebookReader.Parse(ThreeKinds, "kinds.ipynb");
        original.Elements[2].Outputs.Add(NotebookOutputs.Display(new Dictionary<string, object> { ["application/json"] = JsonNode.Parse("{\"n\": 1}")! }));
        var before = NotebookWriter.Serialize(original);

        var copy = original.Copy();
        copy.Elements[2].AddTag("x");
        Metadata.Child(copy.Elements[2].MetadataOf(), "polyglot_notebook")["kernelName"] = "fsharp";
        copy.Elements[2].Outputs[0].TryGetData(out var data);
        ((JsonObject)data["application/json"])["n"] = 2;
        copy.Elements[1].Contents = "changed";
        copy.Metadata["added"] = true;

        Assert.Equal(before, NotebookWriter.Serialize(original));
        Assert.NotEqual(before, NotebookWriter.Serialize(copy));
    }

    [Fact]
    public void EnsureCellIds_CellsWithoutIds_GetPositionalIdsNoOtherCellUses()
    {
        var notebook = new InteractiveDocument();
        notebook.Add(NotebookCells.Markdown("a"));
        notebook.Add(NotebookCells.Markdown("b", "cell-1"));
        notebook.Add(NotebookCells.Code("c"));

        notebook.EnsureCellIds();

        Assert.Equal(["cell-1-2", "cell-1", "cell-3"], notebook.Elements.Select(c => c.Id));
    }
}
