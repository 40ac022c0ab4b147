using System.Text.Json.Nodes;
using Course.Runner.Notebooks;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Tests.Notebooks;

public sealed class NotebookWriterTests
{
    [Fact]
    public void Serialize_UsesOneSpaceIndentSortedKeysAndSourceAsLines()
    {
        var notebook = NotebookCells.CreatePolyglot();
        notebook.AddCell(NotebookCells.Code("var a = 1;\nvar b = 2;", "x1"));

        var text = NotebookWriter.Serialize(notebook);

        Assert.StartsWith("{\n \"cells\": [\n  {\n   \"cell_type\": \"code\",\n   \"execution_count\": null,\n   \"id\": \"x1\",", text);
        Assert.Contains("   \"source\": [\n    \"var a = 1;\\n\",\n    \"var b = 2;\"\n   ]", text);
        Assert.EndsWith("\"nbformat\": 4,\n \"nbformat_minor\": 5\n}\n", text);
        Assert.DoesNotContain("\r", text);
    }

    [Fact]
    public void RoundTrip_KeepsUnknownMetadataOutputsAndIds()
    {
        var notebook = NotebookCells.CreatePolyglot();
        notebook.Metadata["authoring"] = new Dictionary<string, object> { ["reviewed"] = true, ["by"] = "ümlaut <b>" };
        var cell = notebook.AddCell(NotebookCells.Code("1", "k1"));
        cell.MetadataOf()["custom"] = new object[] { 1.0, 2.5 };
        cell.ExecutionOrder = 4;
        cell.Outputs.Add(new TextElement("warn\n", NotebookOutputs.Stderr));
        cell.Outputs.Add(NotebookOutputs.Result(4, new Dictionary<string, object> { ["text/plain"] = "1" }));
        cell.Outputs.Add(NotebookOutputs.Error("E", "bad", ["line 1", "line 2"]));
        notebook.AddCell(NotebookCells.Markdown("# T", "m1"));

        var first = NotebookWriter.Serialize(notebook);
        var reread = NotebookReader.Parse(first, "mem.ipynb");
        var second = NotebookWriter.Serialize(reread);

        Assert.Equal(first, second);
        Assert.Equal("ümlaut <b>", Metadata.FindString(reread.Metadata, "authoring", "by"));
        Assert.Equal([1.0, 2.5], Assert.IsAssignableFrom<IEnumerable<object>>(Metadata.Find(reread.Elements[0].Metadata, "custom")));
        Assert.Contains("\"custom\": [\n     1,\n     2.5\n    ]", first);
        Assert.DoesNotContain("dotnet_interactive", first);
        Assert.Contains("ümlaut <b>", first);
        Assert.Equal(["k1", "m1"], reread.Elements.Select(c => c.Id));
        Assert.Equal(3, reread.Elements[0].Outputs.Count);
        Assert.Equal(["line 1", "line 2"], Assert.IsType<ErrorElement>(reread.Elements[0].Outputs[2]).StackTrace);
    }

    [Fact]
    public void Serialize_JsonMimeTypeAsObject_TextMimeTypeAsLines()
    {
        var notebook = NotebookCells.CreatePolyglot();
        var cell = notebook.AddCell(NotebookCells.Code("x"));
        cell.Outputs.Add(NotebookOutputs.Display(new Dictionary<string, object>
        {
            ["application/vnd.course.cases+json"] = JsonNode.Parse("[{\"case\": \"a\"}]")!,
            ["text/html"] = "<p>1</p>\n<p>2</p>",
        }));

        var data = JsonNode.Parse(NotebookWriter.Serialize(notebook))!["cells"]![0]!["outputs"]![0]!["data"]!;

        Assert.IsType<JsonArray>(data["application/vnd.course.cases+json"]);
        Assert.Equal("a", (string?)data["application/vnd.course.cases+json"]![0]!["case"]);
        Assert.Equal(["<p>1</p>\n", "<p>2</p>"], data["text/html"]!.AsArray().Select(n => (string?)n));
    }

    [Fact]
    public void Serialize_CellsWithoutIds_GetUniqueIds()
    {
        var notebook = new InteractiveDocument();
        notebook.Add(NotebookCells.Markdown("a"));
        notebook.Add(NotebookCells.Markdown("b", "cell-1"));

        var cells = JsonNode.Parse(NotebookWriter.Serialize(notebook))!["cells"]!.AsArray();

        var ids = cells.Select(c => (string?)c!["id"]).ToList();
        Assert.All(ids, id => Assert.False(string.IsNullOrEmpty(id)));
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(notebook.Elements.Take(1), c => Assert.Null(c.Id));
    }

    [Fact]
    public void Serialize_SourceLines_KeepNewlinesAndTheLastPartialLine()
    {
        var notebook = NotebookCells.CreatePolyglot();
        notebook.AddCell(NotebookCells.Markdown("a\n\nb", "m1"));
        notebook.AddCell(NotebookCells.Markdown("a\n", "m2"));
        notebook.AddCell(NotebookCells.Markdown("", "m3"));

        var cells = JsonNode.Parse(NotebookWriter.Serialize(notebook))!["cells"]!.AsArray();

        Assert.Equal(["a\n", "\n", "b"], cells[0]!["source"]!.AsArray().Select(n => (string?)n));
        Assert.Equal(["a\n"], cells[1]!["source"]!.AsArray().Select(n => (string?)n));
        Assert.Empty(cells[2]!["source"]!.AsArray());
    }
}
