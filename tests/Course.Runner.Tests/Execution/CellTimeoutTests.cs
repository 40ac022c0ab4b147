using Course.Runner.Execution;
using Course.Runner.Notebooks;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Tests.Execution;

/// <summary>A cell's own time limit as the runner reads it from a real .ipynb text (the Documents API's reading of its metadata).</summary>
public sealed class CellTimeoutTests
{
    private const string Label = "code cell 2 of 3 (id spin)";

    [Theory]
    [InlineData("3", 3.0)]
    [InlineData("2.5", 2.5)]
    [InlineData("604800", 604800.0)]
    public void NumberOfSeconds_InCourseMetadata_IsTheCellsLimit(string json, double seconds)
    {
        var cell = CellWithTimeoutJson(json);

        Assert.Equal(TimeSpan.FromSeconds(seconds), CellTimeout.Of(cell, Label));
    }

    [Fact]
    public void CellWithoutTheKey_HasNoOwnLimit()
    {
        var plain = Parsed(NotebookCells.Code("1", "spin"));
        var otherCourseKey = NotebookCells.Code("1", "spin");
        otherCourseKey.MetadataOf()[CellTimeout.MetadataKey] = new Dictionary<string, object> { ["nav"] = true };

        Assert.Null(CellTimeout.Of(plain, Label));
        Assert.Null(CellTimeout.Of(Parsed(otherCourseKey), Label));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("604801")]
    [InlineData("1e9")]
    [InlineData("\"3\"")]
    [InlineData("\"3s\"")]
    [InlineData("true")]
    [InlineData("null")]
    [InlineData("{\"seconds\": 3}")]
    [InlineData("[3]")]
    public void BadValue_IsOneLineNamingTheCellTheValueAndTheFix(string json)
    {
        var cell = CellWithTimeoutJson(json);

        var error = Assert.Throws<CourseException>(() => CellTimeout.Of(cell, Label));

        Assert.DoesNotContain('\n', error.Message);
        Assert.StartsWith(Label + " has \"course\": {\"timeout_seconds\": ", error.Message);
        Assert.Contains("Fix: write a plain number there", error.Message);
    }

    [Fact]
    public void BadValue_MessageShowsTheValueAsWritten()
    {
        var error = Assert.Throws<CourseException>(() => CellTimeout.Of(CellWithTimeoutJson("\"3s\""), Label));

        Assert.Contains("{\"timeout_seconds\": \"3s\"}", error.Message);
    }

    // The value goes into the .ipynb text as written, so the test reads what a hand-edited notebook holds.
    private static InteractiveDocumentElement CellWithTimeoutJson(string json)
    {
        var cell = NotebookCells.Code("while (true) { }", "spin");
        cell.MetadataOf()[CellTimeout.MetadataKey] = new Dictionary<string, object> { [CellTimeout.SecondsKey] = "VALUE-PLACEHOLDER" };
        return Parsed(cell, text => text.Replace("\"VALUE-PLACEHOLDER\"", json, StringComparison.Ordinal));
    }

    private static InteractiveDocumentElement Parsed(InteractiveDocumentElement cell, Func<string, string>? edit = null)
    {
        var notebook = NotebookCells.CreatePolyglot();
        notebook.Add(cell);
        var text = NotebookWriter.Serialize(notebook);
        return Assert.Single(NotebookReader.Parse(edit is null ? text : edit(text), "test.ipynb").Elements);
    }
}
