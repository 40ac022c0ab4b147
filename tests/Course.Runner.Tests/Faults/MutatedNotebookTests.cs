using System.Text.Json;
using System.Text.Json.Nodes;
using Course.Runner.Charts;
using Course.Runner.Cli;
using Course.Runner.Html;
using Course.Runner.Notebooks;
using Course.Runner.Tests.Fixtures;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Tests.Faults;

/// <summary>Damaged notebooks through `lint` (300, from a real chapter) and `run --quick` (20, from a tiny fixture chapter): never a crash, always a message, no half-written file.</summary>
[Collection(NotebookRunCollection.Name)]
public sealed class MutatedNotebookTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Lint_300MutatedChapters_NeverCrash_ExitCode0Or1_ProblemsNamed_FixedFilesWhole()
    {
        var root = RepositoryLayout.FindRoot(AppContext.BaseDirectory)!;
        var original = File.ReadAllBytes(Path.Combine(root, "notebooks", "01-address-already-in-use.ipynb"));
        var mutator = new NotebookMutator(original, seed: 12);
        var folder = Path.Combine(_temp.Path, "lint");
        var crashes = new List<string>();

        for (var i = 0; i < 300; i++)
        {
            var (bytes, what) = mutator.Next();
            Directory.CreateDirectory(folder);
            var path = Path.Combine(folder, "01-mutant.ipynb");
            File.WriteAllBytes(path, bytes);
            var fix = i % 2 == 1;
            var error = new StringWriter();
            int code;
            try
            {
                code = await CommandLine.RunAsync(fix ? ["lint", "--notebooks", folder, "--fix"] : ["lint", "--notebooks", folder], new CommandContext(new StringWriter(), error, _temp.Path, CancellationToken.None));
            }
            catch (Exception e)
            {
                crashes.Add($"#{i} ({what}): {e.GetType().Name}: {e.Message}");
                continue;
            }

            if (code is not (0 or 1) || (code == 1 && error.ToString().Length == 0))
            {
                crashes.Add($"#{i} ({what}): exit {code}, message \"{error}\"");
            }

            if (code == 1 && !error.ToString().Contains("01-mutant", StringComparison.Ordinal))
            {
                crashes.Add($"#{i} ({what}): the message does not name the notebook: {error}");
            }

            var after = File.ReadAllBytes(path);
            if (fix && !after.SequenceEqual(bytes) && !IsJsonObject(after))
            {
                crashes.Add($"#{i} ({what}): lint --fix left a file that is not a whole JSON object");
            }

            if (Directory.GetFiles(folder).Length != 1)
            {
                crashes.Add($"#{i} ({what}): files left beside the notebook: {string.Join(", ", Directory.GetFiles(folder).Select(Path.GetFileName))}");
            }

            Directory.Delete(folder, recursive: true);
        }

        Assert.True(crashes.Count == 0, string.Join("\n", crashes));
    }

    [Fact]
    public async Task RunQuick_20MutatedFixtureChapters_NeverCrash_ExitCode0Or1WithAMessage_ResultsWhole()
    {
        FixtureLibrary.BuildInto(Path.Combine(_temp.Path, "lib"));
        var chapter = NotebookCells.CreatePolyglot();
        chapter.AddCell(NotebookCells.Markdown("# 01 — Mutant\n\nIn this chapter you will see a damaged notebook."));
        chapter.AddCell(NotebookCells.Code("#r \"../lib/Fixture.dll\"\nusing Fixture;", "setup"));
        chapter.AddCell(NotebookCells.Code("var quick = false;", "params")).AddTag("parameters");
        chapter.AddCell(NotebookCells.Code("display(new Measurement(\"m1\", quick ? 0.1 : 0.5));", "measure"));
        chapter.AddCell(NotebookCells.Code("Console.WriteLine(\"done\");", "end"));
        var original = System.Text.Encoding.UTF8.GetBytes(NotebookWriter.Serialize(chapter));
        var mutator = new NotebookMutator(original, seed: 20);
        var notebooks = Path.Combine(_temp.Path, "notebooks");
        var images = Path.Combine(_temp.Path, "images");
        var problems = new List<string>();
        var executed = 0;

        for (var i = 0; i < 20; i++)
        {
            // Byte damage, JSON damage the schema refuses, and odd values where the schema allows anything (those reach the executor).
            var (bytes, what) = (i % 4) switch
            {
                0 => mutator.Next(),
                2 => mutator.NextJson(),
                _ => mutator.NextWithinSchema(),
            };
            Directory.CreateDirectory(notebooks);
            var executedNotebook = Path.Combine(_temp.Path, "out", "01-mutant.ipynb");
            if (File.Exists(executedNotebook))
            {
                File.Delete(executedNotebook);
            }
            File.WriteAllBytes(Path.Combine(notebooks, "01-mutant.ipynb"), bytes);
            var error = new StringWriter();
            var command = new RunCommand(log => new NoOpChartImageExporter(log), new FixedPlotlyScriptSource("/* plotly */"));
            int code;
            try
            {
                code = await CommandLine.RunAsync(
                    ["run", "--quick", "--cell-timeout", "30", "--notebooks", notebooks, "--out", Path.Combine(_temp.Path, "out"), "--images", images],
                    new CommandContext(new StringWriter(), error, _temp.Path, CancellationToken.None),
                    [command]).WaitAsync(TimeSpan.FromMinutes(2));
            }
            catch (Exception e)
            {
                // Where it crashed, so the failure names the code to fix.
                problems.Add($"#{i} ({what}): {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
                continue;
            }

            if (code is not (0 or 1) || (code == 1 && error.ToString().Length == 0))
            {
                problems.Add($"#{i} ({what}): exit {code}, message \"{error}\"");
            }

            if (!File.Exists(executedNotebook) && !(code == 1 && IsOneLineNamingTheNotebookAndFix(error.ToString())))
            {
                problems.Add($"#{i} ({what}): refused without a one-line message naming 01-mutant and the fix: \"{error}\"");
            }

            if (File.Exists(executedNotebook))
            {
                executed++;
                if (!IsJsonObject(File.ReadAllBytes(executedNotebook)))
                {
                    problems.Add($"#{i} ({what}): the executed notebook is not a whole JSON object");
                }
            }

            if (!IsJsonObject(File.ReadAllBytes(Path.Combine(images, "results.json"))))
            {
                problems.Add($"#{i} ({what}): results.json is not a whole JSON object");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
        // Some mutants must still be runnable notebooks, or the sample would only exercise the reader.
        Assert.True(executed >= 5, $"only {executed} of 20 mutants reached the executor");
    }

    // The reader's refusal, as the run prints it: a line that names the notebook and the fix (other lines may say which chapters ran).
    private static bool IsOneLineNamingTheNotebookAndFix(string error) =>
        error.Split('\n').Any(line => line.Contains("01-mutant", StringComparison.Ordinal) && line.Contains("Fix:", StringComparison.Ordinal));

    private static bool IsJsonObject(byte[] bytes)
    {
        try
        {
            return JsonNode.Parse(bytes) is JsonObject;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
