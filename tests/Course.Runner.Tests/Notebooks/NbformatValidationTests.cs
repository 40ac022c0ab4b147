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
        notebook.Elements.Insert(0, NotebookCells.Markdown("# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |", "md1"));
        notebook.Elements[1].AddTag("parameters");

        var result = await TestNotebooks.RunAsync(notebook, _temp.Path);
        var path = Path.Combine(_temp.Path, "executed.ipynb");
        NotebookWriter.WriteFile(result.Notebook, path);

        Assert.Equal(
            ["stream", "stream", "display_data", "execute_result", "error"],
            result.Notebook.Elements.SelectMany(c => c.Outputs).Select(o => o.OutputType()));
        Assert.Equal(File.ReadAllText(path), NotebookWriter.Serialize(NotebookReader.ReadFile(path)));
        await NbformatValidator.AssertValidAsync(path);
    }

    [Fact]
    public async Task PolyglotSourceNotebook_IsValidNbformat45()
    {
        var notebook = NotebookCells.CreatePolyglot();
        notebook.AddCell(NotebookCells.Markdown("# T"));
        notebook.AddCell(NotebookCells.Code("var x = 1;"));
        var path = Path.Combine(_temp.Path, "source.ipynb");
        NotebookWriter.WriteFile(notebook, path);

        await NbformatValidator.AssertValidAsync(path);
    }
}

/// <summary>The two notebook validators: the nbformat schema in process (every machine) and Jupyter's reference validator (CI).</summary>
public sealed class NbformatValidatorTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void SchemaProblems_CodeCellWithoutOutputs_NamesTheCell()
    {
        const string broken = """
            {"cells": [{"cell_type": "code", "metadata": {}, "source": "1", "execution_count": null}],
             "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
            """;

        var problems = NbformatValidator.SchemaProblems(broken);

        Assert.NotEmpty(problems);
        Assert.Contains(problems, p => p.StartsWith("/cells/0", StringComparison.Ordinal));
    }

    [Fact]
    public void SchemaProblems_MinimalValidNotebook_None()
    {
        const string valid = """
            {"cells": [{"cell_type": "code", "id": "a1", "metadata": {}, "source": "1", "execution_count": null, "outputs": []}],
             "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
            """;

        Assert.Empty(NbformatValidator.SchemaProblems(valid));
    }

    [Fact]
    public void EmbeddedSchema_SharedSchemaBesideTheCheckout_SameDocument()
    {
        // shared/ lies beside the checkout on the team's machines and in CI; a newcomer's fresh clone has only the embedded copy.
        if (!File.Exists(NbformatValidator.SharedSchema))
        {
            Assert.False(RealParts.Required, $"{NbformatValidator.SharedSchema} is missing, and CI lays shared/ beside the checkout.");
            return;
        }

        var shared = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(NbformatValidator.SharedSchema));
        var embedded = System.Text.Json.Nodes.JsonNode.Parse(NbformatValidator.EmbeddedSchemaText);

        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(shared, embedded), "lib/Course.Runner/Notebooks/nbformat.v4.schema.json differs from shared/schemas/");
    }

    [RealPartsFact(RealPart.PythonNbformat)]
    public async Task ReferenceValidator_PolyglotSourceNotebook_Accepts()
    {
        var notebook = NotebookCells.CreatePolyglot();
        notebook.AddCell(NotebookCells.Markdown("# T"));
        notebook.AddCell(NotebookCells.Code("var x = 1;"));
        var path = Path.Combine(_temp.Path, "source.ipynb");
        NotebookWriter.WriteFile(notebook, path);

        await NbformatValidator.AssertValidByReferenceAsync(path);
    }

    [RealPartsFact(RealPart.PythonNbformat)]
    public async Task ReferenceValidator_CodeCellWithoutOutputs_Rejects()
    {
        var path = Path.Combine(_temp.Path, "broken.ipynb");
        File.WriteAllText(path, """{"cells": [{"cell_type": "code", "id": "a1", "metadata": {}, "source": "1", "execution_count": null}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}""");

        await Assert.ThrowsAsync<Xunit.Sdk.TrueException>(() => NbformatValidator.AssertValidByReferenceAsync(path));
    }
}
