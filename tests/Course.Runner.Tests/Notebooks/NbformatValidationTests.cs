using Course.Runner.Notebooks;
using Course.Runner.Tests.Fixtures;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Tests.Notebooks;

[Collection(NotebookRunCollection.Name)]
public sealed class NbformatValidationTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task ExecutedNotebook_WithEveryOutputKind_RoundTripsAndIsValidNbformat45()
    {
        FixtureLibrary.BuildInto(Path.Combine(_temp.Path, "lib"));
        var notebook = TestNotebooks.FromCode(
            "#r \"lib/Fixture.dll\"\nConsole.WriteLine(\"out\");\nConsole.Error.WriteLine(\"err\");",
            "display(new Fixture.Measurement(\"m\", 1));\nnew Fixture.LineChart(\"c\")",
            "throw new Exception(\"stop\");",
            "var never = 1;");
        notebook.Cells.Insert(0, NotebookCell.Markdown("# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |", "md1"));
        notebook.Cells[1].AddTag("parameters");

        var result = await TestNotebooks.RunAsync(notebook, _temp.Path);
        var path = Path.Combine(_temp.Path, "executed.ipynb");
        NotebookWriter.WriteFile(result.Notebook, path);

        Assert.Equal(
            ["stream", "stream", "display_data", "execute_result", "error"],
            result.Notebook.Cells.SelectMany(c => c.Outputs).Select(o => o.OutputType()));
        Assert.Equal(File.ReadAllText(path), NotebookWriter.Serialize(NotebookReader.ReadFile(path)));
        await NbformatValidator.AssertValidAsync(path);
    }

    [Fact]
    public async Task PolyglotSourceNotebook_IsValidNbformat45()
    {
        var notebook = Notebook.CreatePolyglot();
        notebook.Add(NotebookCell.Markdown("# T"));
        notebook.Add(NotebookCell.Code("var x = 1;"));
        var path = Path.Combine(_temp.Path, "source.ipynb");
        NotebookWriter.WriteFile(notebook, path);

        await NbformatValidator.AssertValidAsync(path);
    }
}
