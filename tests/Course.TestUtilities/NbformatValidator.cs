using System.Diagnostics;

namespace Course.TestUtilities;

/// <summary>Validates notebook files with Jupyter's reference validator (python3 + nbformat) and the shared nbformat 4.5 JSON schema.</summary>
public static class NbformatValidator
{
    /// <summary>The nbformat 4.5 schema shared by the course's tools: shared/ lies beside the repository checkout.</summary>
    public static string SharedSchema { get; } = Path.Combine(
        Checkout.RootOrNull ?? AppContext.BaseDirectory, "..", "shared", "schemas", "nbformat.v4.schema.json");

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

    private static readonly Lazy<string?> Python = new(FindPython);

    /// <summary>Fails the test with the validator's message when the file is not a valid nbformat 4 notebook.</summary>
    public static async Task AssertValidAsync(string path)
    {
        var python = Python.Value;
        if (python is null)
        {
            Assert.Fail("python3 with the nbformat module is required to validate notebooks against the nbformat 4.5 schema, and none was found "
                        + "(tried python3 on PATH and /usr/bin/python3). Fix: install it, e.g. `apt-get install python3-nbformat` (Debian/Ubuntu) "
                        + "or `pip install nbformat`.");
        }

        var (exitCode, output) = await RunAsync(python, ["-c", Script, path, SharedSchema]);
        Assert.True(exitCode == 0 && output.Contains("valid", StringComparison.Ordinal),
            $"nbformat rejected {path}:\n{output}");
    }

    private static string? FindPython()
    {
        // A pyenv/venv python3 on PATH may lack nbformat while the Debian package installed it for /usr/bin/python3.
        foreach (var candidate in new[] { "python3", "/usr/bin/python3", "python" })
        {
            try
            {
                var (exitCode, _) = RunAsync(candidate, ["-c", "import nbformat"]).GetAwaiter().GetResult();
                if (exitCode == 0)
                {
                    return candidate;
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not installed under that name; try the next one.
            }
        }

        return null;
    }

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
