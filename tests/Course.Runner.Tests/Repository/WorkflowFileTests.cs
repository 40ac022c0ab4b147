using System.Diagnostics;
using System.Text.Json.Nodes;
using Course.Runner.Cli;

namespace Course.Runner.Tests.Repository;

public sealed class WorkflowFileTests
{
    // The BCL has no YAML parser, so PyYAML turns the file into JSON and the assertions run on that.
    private const string ToJson = "import json, sys, yaml\nwith open(sys.argv[1], encoding='utf-8') as f:\n    print(json.dumps(yaml.safe_load(f)))";

    private static readonly string WorkflowPath = Path.Combine(
        RepositoryLayout.FindRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("tests must run inside the repository"),
        ".github", "workflows", "course.yml");

    [RealPartsFact(RealPart.PythonYaml)]
    public async Task CourseWorkflow_Parsed_HasTheThreeOsMatrixAndUsesOnlyOfficialActions()
    {
        var workflow = await ParseAsync();

        var job = Assert.Single(workflow["jobs"]!.AsObject()).Value!;
        var include = job["strategy"]!["matrix"]!["include"]!.AsArray();
        Assert.Equal(["ubuntu-latest", "macos-latest", "windows-latest"], include.Select(i => (string)i!["os"]!));
        Assert.Equal(["linux", "macos", "windows"], include.Select(i => (string)i!["course-os"]!));
        Assert.Equal("${{ matrix.os }}", (string?)job["runs-on"]);
        Assert.False((bool)job["strategy"]!["fail-fast"]!);

        var steps = job["steps"]!.AsArray().Select(s => s!.AsObject()).ToList();
        var uses = steps.Where(s => s.ContainsKey("uses")).Select(s => (string)s["uses"]!).ToList();
        Assert.All(uses, u => Assert.Contains(u, new[] { "actions/checkout@v4", "actions/setup-dotnet@v4", "actions/upload-artifact@v4" }));
        Assert.Equal("10.0.x", (string?)steps.Single(s => (string?)s["uses"] == "actions/setup-dotnet@v4")["with"]!["dotnet-version"]);
    }

    [RealPartsFact(RealPart.PythonYaml)]
    public async Task CourseWorkflow_Steps_BuildTestRunInOrderAndUploadEachOsImages()
    {
        var workflow = await ParseAsync();
        var steps = Assert.Single(workflow["jobs"]!.AsObject()).Value!["steps"]!.AsArray().Select(s => s!.AsObject()).ToList();
        var runs = steps.Select(s => (string?)s["run"] ?? "").ToList();

        var build = runs.FindIndex(r => r.Contains("dotnet build Course.sln"));
        var test = runs.FindIndex(r => r.Contains("dotnet test Course.sln"));
        var run = runs.FindIndex(r => r.Contains("dotnet run --project lib/Course.Runner -- run"));
        Assert.True(build >= 0 && build < test && test < run, "build, then test, then the main job");
        var linux = steps.Single(s => ((string?)s["run"] ?? "").Contains("apt-get"));
        Assert.Equal("runner.os == 'Linux'", (string?)linux["if"]);
        Assert.Contains("python3-nbformat", (string)linux["run"]!);
        Assert.Contains("chromium", (string)linux["run"]!);

        var upload = steps.First(s => (string?)s["uses"] == "actions/upload-artifact@v4");
        Assert.Equal("images/${{ matrix.course-os }}/", (string?)upload["with"]!["path"]);
        Assert.Equal("always()", (string?)upload["if"]);
        Assert.True(steps.IndexOf(upload) > run);
    }

    private static async Task<JsonObject> ParseAsync()
    {
        Assert.True(File.Exists(WorkflowPath), $"{WorkflowPath} exists");
        var start = new ProcessStartInfo(RealParts.PythonWith("yaml") ?? "python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(ToJson);
        start.ArgumentList.Add(WorkflowPath);
        using var python = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
        var stdout = python.StandardOutput.ReadToEndAsync();
        var stderr = python.StandardError.ReadToEndAsync();
        await python.WaitForExitAsync();
        Assert.True(python.ExitCode == 0,
            $"python3 could not parse {WorkflowPath} as YAML (needs PyYAML: `apt-get install python3-yaml` or `pip install pyyaml`):\n{await stderr}");
        return (JsonObject)JsonNode.Parse(await stdout)!;
    }
}
