using System.Text.Json.Nodes;
using Course.Runner.Cli;
using Course.Runner.Tests.Fixtures;

namespace Course.Runner.Tests.CourseNotebooks;

/// <summary>Chapters 05, 06, 07 and 10 (issue 4) run headless through the runner and record their scenarios and the claims ledger.</summary>
[Collection(NotebookRunCollection.Name)]
public sealed class ReuseChaptersTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Run_Chapters05_06_07_10_SucceedAndRecordTheMatrixScenariosAndEveryClaimVerdict()
    {
        var root = RepositoryLayout.FindRoot(AppContext.BaseDirectory)!;
        var output = new StringWriter();
        var error = new StringWriter();
        var images = Path.Combine(_temp.Path, "images", "linux");
        string[] args = ["run", "--chapter", "05", "--chapter", "06", "--chapter", "07", "--chapter", "10",
            "--notebooks", RepositoryLayout.NotebooksFolder(root), "--out", Path.Combine(_temp.Path, "out"), "--images", images];

        var code = await CommandLine.RunAsync(args, new CommandContext(output, error, root, CancellationToken.None), CommandLine.DefaultCommands());

        Assert.True(code == 0, $"course run exited {code}.\n{output}\n{error}");
        var cases = JsonNode.Parse(File.ReadAllText(Path.Combine(images, "results.json")))!["cases"]!.AsArray();
        var scenarios = cases.Select(c => (string)c!["scenario"]!).ToHashSet();
        Assert.Superset(new HashSet<string> { "A4", "D1", "D2", "D3", "D4", "D5", "D7", "F3", "G1", "G2", "G3" }, scenarios);
        var verdicts = cases.Where(c => (string?)c!["step"] == "verdict").ToList();
        Assert.NotEmpty(verdicts);
        Assert.All(verdicts, v => Assert.Contains((string)v!["outcome"]!, new[] { "holds", "holds_only_when", "does_not_hold", "not_measured" }));
        Assert.Contains(cases, c => (string)c!["scenario"]! == "D1" && (string)c["api"]! == "dotnet");
    }
}
