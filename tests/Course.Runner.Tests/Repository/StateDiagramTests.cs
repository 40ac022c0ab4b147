using System.Text.Json.Nodes;
using Course.Runner.Notebooks;

namespace Course.Runner.Tests.Repository;

public sealed class StateDiagramTests
{
    [Fact]
    public void ChapterTwo_StateDiagram_IsAnAttachmentBesideTheFirstCloseEqualToTheSourceSvg()
    {
        // images/c2-four-way-close.svg is the diagram's editable source; chapter 02 carries a copy inside the notebook.
        var notebook = NotebookReader.ReadFile(Checkout.Path("notebooks", "02-the-four-way-close.ipynb"));
        var cell = Assert.Single(notebook.Elements, c => c.Contents.Contains("(attachment:four-way-close.svg)", StringComparison.Ordinal));
        var firstClose = notebook.Elements.ToList().FindIndex(c => c.Contents.Contains("## Experiment 1", StringComparison.Ordinal));

        var base64 = Metadata.FindString(cell.Attachments(), "four-way-close.svg", "image/svg+xml");

        Assert.Equal(File.ReadAllBytes(Checkout.Path("images", "c2-four-way-close.svg")), Convert.FromBase64String(base64!));
        Assert.Equal(firstClose - 1, notebook.Elements.IndexOf(cell));
        var chapterThree = NotebookReader.ReadFile(Checkout.Path("notebooks", "03-time-wait.ipynb"));
        Assert.DoesNotContain(chapterThree.Elements, c => c.Contents.Contains(".svg", StringComparison.Ordinal));
        Assert.Contains(chapterThree.Elements, c => c.Contents.Contains("(02-the-four-way-close.ipynb#four-segments-two-paths)", StringComparison.Ordinal));
    }
}
