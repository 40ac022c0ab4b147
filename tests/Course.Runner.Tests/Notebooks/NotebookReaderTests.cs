using Course.Runner.Notebooks;
using Course.Runner.Tests.Fixtures;

namespace Course.Runner.Tests.Notebooks;

public sealed class NotebookReaderTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void ReadFile_MalformedJson_ThrowsNamingFileLinePositionAndFix()
    {
        var path = _temp.File("01-broken.ipynb");
        File.WriteAllText(path, "{\n \"cells\": [],\n \"metadata\": {}\n \"nbformat\": 4\n}");

        var error = Assert.Throws<NotebookFormatException>(() => NotebookReader.ReadFile(path));

        Assert.Equal(path, error.File);
        Assert.Contains(path, error.Message);
        Assert.Contains("not valid JSON", error.Message);
        Assert.Contains("line 4, position 2", error.Message);
        Assert.Contains("Fix:", error.Message);
        Assert.DoesNotContain("BytePositionInLine", error.Message);
    }

    [Fact]
    public void Parse_DuplicateKey_ThrowsNotValidJsonNamingTheFix()
    {
        // A merge or hand edit can leave a key twice; it must be a named format error, not an ArgumentException.
        var error = Assert.Throws<NotebookFormatException>(() =>
            NotebookReader.Parse("{\"cells\": [{\"id\": \"a\", \"id\": \"b\", \"cell_type\": \"code\", \"source\": \"\", \"metadata\": {}, \"outputs\": []}], \"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": 5}", "dup.ipynb"));

        Assert.Contains("dup.ipynb is not valid JSON", error.Message);
        Assert.Contains("Fix:", error.Message);
    }

    [Fact]
    public void Parse_TopLevelArray_ThrowsNotANotebook()
    {
        var error = Assert.Throws<NotebookFormatException>(() => NotebookReader.Parse("[1, 2]", "x.ipynb"));

        Assert.Contains("x.ipynb is not an nbformat 4 notebook", error.Message);
        Assert.Contains("top level is not a JSON object", error.Message);
        Assert.Contains("Fix:", error.Message);
    }

    [Fact]
    public void Parse_MissingCells_ThrowsNamingCellsAndTheFix()
    {
        var error = Assert.Throws<NotebookFormatException>(() =>
            NotebookReader.Parse("{\"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": 5}", "x.ipynb"));

        // The schema's own words name the missing property; the place is the top level, the fix names what a notebook needs.
        Assert.Contains("\"cells\"", error.Message);
        Assert.Contains("(at $)", error.Message);
        Assert.Contains("Fix: a notebook needs \"cells\"", error.Message);
    }

    [Fact]
    public void Parse_Nbformat3_ThrowsWithConversionFix()
    {
        var error = Assert.Throws<NotebookFormatException>(() =>
            NotebookReader.Parse("{\"metadata\": {}, \"nbformat\": 3, \"nbformat_minor\": 0, \"worksheets\": []}", "old.ipynb"));

        Assert.Contains("nbformat is 3", error.Message);
        Assert.Contains("nbconvert", error.Message);
    }

    [Fact]
    public void Parse_CellWithUnknownType_NamesTheCell()
    {
        const string json = """
            {"metadata": {}, "nbformat": 4, "nbformat_minor": 5, "cells": [
              {"cell_type": "markdown", "id": "a", "metadata": {}, "source": "hi"},
              {"cell_type": "python", "id": "b", "metadata": {}, "source": "x"}]}
            """;

        var error = Assert.Throws<NotebookFormatException>(() => NotebookReader.Parse(json, "x.ipynb"));

        Assert.Contains("cell 2: ", error.Message);
        Assert.Contains("(found \"python\")", error.Message);
        Assert.Contains("$.cells[1].cell_type", error.Message);
        Assert.Contains("Fix: use \"code\", \"markdown\" or \"raw\"", error.Message);
    }

    [Fact]
    public void Parse_SourceAsStringOrLineList_ReadsTheSameText()
    {
        const string json = """
            {"metadata": {}, "nbformat": 4, "nbformat_minor": 4, "cells": [
              {"cell_type": "code", "metadata": {}, "source": "a\nb", "outputs": [], "execution_count": null},
              {"cell_type": "code", "metadata": {}, "source": ["a\n", "b"], "outputs": [], "execution_count": 3}]}
            """;

        var notebook = NotebookReader.Parse(json, "x.ipynb", out var formatMinor);

        Assert.Equal("a\nb", notebook.Elements[0].Contents);
        Assert.Equal("a\nb", notebook.Elements[1].Contents);
        Assert.Null(notebook.Elements[0].Id);
        Assert.Equal(3, notebook.Elements[1].ExecutionOrder);
        Assert.Equal(4, formatMinor);
    }

    [Fact]
    public void Parse_UnknownOutputType_NamesTheCellAndFix()
    {
        const string json = """
            {"metadata": {}, "nbformat": 4, "nbformat_minor": 5, "cells": [
              {"cell_type": "code", "id": "a", "metadata": {}, "source": "", "execution_count": null,
               "outputs": [{"output_type": "pyout"}]}]}
            """;

        var error = Assert.Throws<NotebookFormatException>(() => NotebookReader.Parse(json, "x.ipynb"));

        Assert.Contains("cell 1, output 1: ", error.Message);
        Assert.Contains("(found \"pyout\")", error.Message);
        Assert.Contains("$.cells[0].outputs[0].output_type", error.Message);
        Assert.Contains("clear the cell's outputs", error.Message);
    }

    [Fact]
    public void Parse_CodeCellWithoutSource_NamesTheCodeCellsProblemNotAnotherKinds()
    {
        // A cell is one of three kinds in the schema; the problem reported is the one of the kind its cell_type names.
        const string json = """
            {"metadata": {}, "nbformat": 4, "nbformat_minor": 5, "cells": [
              {"cell_type": "code", "id": "a", "metadata": {}, "execution_count": null, "outputs": []}]}
            """;

        var error = Assert.Throws<NotebookFormatException>(() => NotebookReader.Parse(json, "x.ipynb"));

        Assert.Contains("cell 1: ", error.Message);
        Assert.True(error.Message.Contains("\"source\"", StringComparison.Ordinal), error.Message);
        Assert.Contains("(at $.cells[0])", error.Message);
        Assert.DoesNotContain("cell_type", error.Message);
    }

    [Fact]
    public void ReadFile_MissingFile_ThrowsNamingTheFile()
    {
        var path = Path.Combine(_temp.Path, "nope.ipynb");

        var error = Assert.Throws<NotebookFormatException>(() => NotebookReader.ReadFile(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("Fix:", error.Message);
    }
}
