using System.Text.Json.Nodes;
using AddressInUse.Display;
using AddressInUse.Verdicts;
using Course.Runner.Html;
using Course.Runner.Notebooks;

namespace Course.Runner.Tests.Html;

public sealed class VerdictLinksTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("verdict-links-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void WriteMarked_VerdictNotMeasured_ExecutedNotebookShowsItsMarkAndTheNotebookInMemoryIsUnchanged()
    {
        const string markdown = "Measured sentence. [✓](#verdict-held)\nUnmeasured sentence. [✓](#verdict-skipped)";
        var notebook = NotebookCells.CreatePolyglot();
        var prose = notebook.AddCell(NotebookCells.Markdown(markdown));
        var check = notebook.AddCell(NotebookCells.Code("text.Check(...)"));
        foreach (var (paragraph, kind) in new[] { ("held", TextVerdictKind.Holds), ("skipped", TextVerdictKind.NotMeasured) })
        {
            var verdict = new TextVerdict { Chapter = "02", Paragraph = paragraph, Sentence = "A sentence.", Kind = kind, Measured = "m", Evidence = [] };
            check.Outputs.Add(NotebookOutputs.Display(new Dictionary<string, object> { [MimeTypes.Html] = verdict.ToHtml(), [MimeTypes.Verdicts] = verdict.ToJson() }));
        }
        var path = Path.Combine(_folder, "02.ipynb");

        VerdictLinks.WriteMarked(notebook, path);

        var written = string.Concat(JsonNode.Parse(File.ReadAllText(path))!["cells"]![0]!["source"]!.AsArray().Select(l => (string?)l));
        Assert.Contains("Measured sentence. [✓](#verdict-held \"holds on this machine (see the verdict line)\")", written);
        Assert.Contains("Unmeasured sentence. [○](#verdict-skipped \"not measured here (see the verdict line)\")", written);
        Assert.Equal(markdown, prose.Contents);
    }
}
