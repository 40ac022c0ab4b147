using System.Text.Json.Nodes;
using Course.Runner.Cli;
using Course.Runner.Tests.Fixtures;

namespace Course.Runner.Tests.Cli;

/// <summary>Chapters 00, 08 and 09 run headless through the runner and record their scenarios.</summary>
[Collection(NotebookRunCollection.Name)]
public sealed class ClientSideAndAvoidingChaptersTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Run_Chapters00_08_09Quick_SucceedAndRecordEveryScenarioTheyTeach()
    {
        var root = RepositoryLayout.FindRoot(AppContext.BaseDirectory)!;
        var output = new StringWriter();
        var error = new StringWriter();
        var images = Path.Combine(_temp.Path, "images", "linux");
        string[] args = ["run", "--quick", "--chapter", "00", "--chapter", "08", "--chapter", "09",
            "--notebooks", RepositoryLayout.NotebooksFolder(root), "--out", Path.Combine(_temp.Path, "out"), "--images", images];

        var code = await CommandLine.RunAsync(args, new CommandContext(output, error, root, CancellationToken.None), CommandLine.DefaultCommands());

        Assert.True(code == 0, $"course run exited {code}.\n{output}\n{error}");
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(images, "results.json")))!;
        var scenarios = results["cases"]!.AsArray().Select(c => (string)c!["scenario"]!).ToHashSet();
        Assert.Superset(new HashSet<string> { "E1", "E2", "E3", "F1", "F2" }, scenarios);
        Assert.True(File.Exists(Path.Combine(_temp.Path, "out", "compare.html")));
    }
}
