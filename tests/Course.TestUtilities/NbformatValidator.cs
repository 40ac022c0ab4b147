using System.Diagnostics;
using Course.Runner.Notebooks;

namespace Course.TestUtilities;

/// <summary>
/// Validates notebook files against the nbformat 4.5 JSON schema: in process with the runner's own check (<see cref="NbformatSchema"/>, no Python needed), and also with
/// Jupyter's reference validator (python3 + nbformat) where it is installed — required where COURSE_REQUIRE_REAL_PARTS=1 (CI).
/// </summary>
public static class NbformatValidator
{
    /// <summary>The nbformat 4.5 schema shared by the course's tools: shared/ lies beside the repository checkout (CI lays it there).</summary>
    public static string SharedSchema { get; } = Path.Combine(
        Checkout.RootOrNull ?? AppContext.BaseDirectory, "..", "shared", "schemas", "nbformat.v4.schema.json");

    /// <summary>The copy of that schema the runner carries, so a fresh clone without shared/ validates too.</summary>
    public static string EmbeddedSchemaText => NbformatSchema.SchemaText;

    private const string Script = """
        import json, sys
        import nbformat
        nb = nbformat.read(sys.argv[1], as_version=4)
        nbformat.validate(nb)
        schema_path = sys.argv[2]
        try:
            import jsonschema
        except ImportError:
            jsonschema = None
        import os
        if jsonschema is not None and os.path.exists(schema_path):
            with open(schema_path) as f:
                schema = json.load(f)
            with open(sys.argv[1], encoding="utf-8") as f:
                jsonschema.validate(json.load(f), schema)
        print("valid")
        """;

    /// <summary>Fails the test when the file is not a valid nbformat 4 notebook: the schema in process, then the reference validator where it is installed.</summary>
    public static async Task AssertValidAsync(string path)
    {
        var problems = SchemaProblems(await File.ReadAllTextAsync(path));
        Assert.True(problems.Count == 0, $"{path} does not match the nbformat 4.5 schema:\n{string.Join("\n", problems)}");

        // The reference validator also checks what the schema cannot (unique cell ids, nbformat's own reading); a fresh
        // machine without it still gets the schema check above, and CI (COURSE_REQUIRE_REAL_PARTS=1) must have it.
        var python = RealParts.PythonWith("nbformat");
        if (python is null)
        {
            if (RealParts.Required)
            {
                RealParts.Require(RealPart.PythonNbformat);
            }
            return;
        }
        await AssertValidByReferenceAsync(path, python);
    }

    /// <summary>Fails the test when Jupyter's reference validator (python3 + nbformat, and jsonschema against the shared schema) rejects the file.</summary>
    public static async Task AssertValidByReferenceAsync(string path, string? python = null)
    {
        python ??= RealParts.PythonWith("nbformat");
        if (python is null)
        {
            RealParts.Require(RealPart.PythonNbformat);
            return;
        }
        // Without shared/ beside the checkout the script skips its jsonschema pass (the in-process check used the embedded copy).
        var (exitCode, output) = await RunAsync(python, ["-c", Script, path, SharedSchema]);
        Assert.True(exitCode == 0 && output.Contains("valid", StringComparison.Ordinal),
            $"nbformat rejected {path}:\n{output}");
    }

    /// <summary>Where the notebook text breaks the nbformat 4.5 schema (instance location: keyword: message), empty when it is valid.</summary>
    public static IReadOnlyList<string> SchemaProblems(string notebookJson) => NbformatSchema.Problems(notebookJson);

    private static async Task<(int ExitCode, string Output)> RunAsync(string fileName, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(deadline.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
