using System.Text.Json.Nodes;
using Course.Runner.Notebooks;
using Course.Runner.Tests.Fixtures;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Tests.Execution;

[Collection(NotebookRunCollection.Name)]
public sealed class ReferenceAndFormatterTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public ReferenceAndFormatterTests()
    {
        // The library sits beside the notebooks folder, as lib/bin does in the course: #r must resolve against the notebook, not the cwd.
        FixtureLibrary.BuildInto(Path.Combine(_temp.Path, "lib"));
        NotebookFolder = Path.Combine(_temp.Path, "notebooks");
    }

    private string NotebookFolder { get; }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task ReferenceRelativeToNotebookFolder_LoadsTypeAndItsDependencyBesideIt()
    {
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode(
            "#r \"../lib/Fixture.dll\"",
            "Fixture.Api.GreetThroughCore(\"notebook\")"), NotebookFolder);

        Assert.True(result.Succeeded, result.Failure?.Message);
        Assert.Equal("hello notebook from core", TestNotebooks.TextOf(result.Notebook.Elements[1]));
    }

    [Fact]
    public async Task ConventionFormatter_OnType_ProducesExactlyThePreferredMimeTypes()
    {
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode(
            "#r \"../lib/Fixture.dll\"\nusing Fixture;",
            "new Measurement(\"reuse\", 1.5)"), NotebookFolder);

        Assert.True(result.Succeeded, result.Failure?.Message);
        var data = Assert.IsType<ReturnValueElement>(Assert.Single(result.Notebook.Elements[1].Outputs)).Data;
        Assert.Equal(["application/vnd.course.cases+json", "text/html"], data.Keys.Order(StringComparer.Ordinal));
        Assert.True(data.TryGetText("text/html", out var html));
        Assert.Equal("<b class=\"measurement\">reuse</b>", html);
    }

    [Fact]
    public async Task JsonMimeType_IsStoredInTheNotebookAsJsonNotText()
    {
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode(
            "#r \"../lib/Fixture.dll\"",
            "display(new Fixture.Measurement(\"reuse\", 1.5));"), NotebookFolder);

        var written = JsonNode.Parse(NotebookWriter.Serialize(result.Notebook))!;
        var data = written["cells"]![1]!["outputs"]![0]!["data"]!;
        var cases = Assert.IsType<JsonArray>(data["application/vnd.course.cases+json"]);
        Assert.Equal("reuse", (string?)cases[0]!["case"]);
        Assert.Equal(1.5, (double?)cases[0]!["seconds"]);
        Assert.IsType<JsonArray>(data["text/html"]);
        Assert.Equal("<b class=\"measurement\">reuse</b>", (string?)data["text/html"]![0]);
    }

    [Fact]
    public async Task Display_WithExplicitMimeType_ProducesOnlyThatRepresentation()
    {
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode(
            "#r \"../lib/Fixture.dll\"",
            "display(new Fixture.Measurement(\"m\", 2), \"text/html\");"), NotebookFolder);

        var data = Assert.IsType<DisplayElement>(Assert.Single(result.Notebook.Elements[1].Outputs)).Data;
        Assert.Equal(["text/html"], data.Keys);
    }

    [Fact]
    public async Task FrameworkAssemblyByName_IsAcceptedWithoutAFile()
    {
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode(
            "#r \"System.Net.Sockets\"\nusing System.Net.Sockets;\nAddressFamily.InterNetwork.ToString()"), NotebookFolder);

        Assert.True(result.Succeeded, result.Failure?.Message);
        Assert.Equal("InterNetwork", TestNotebooks.TextOf(result.Notebook.Elements[0]));
    }
}
