using System.Security.Cryptography;
using Course.Runner.Cli;
using Course.Runner.Notebooks;
using Course.Runner.Tests.Fixtures;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Tests.Faults;

/// <summary>A tiny course in a temp folder for the fault tests: notebooks/, out/, images/ with "committed" files, the real lab dll and a fixture dll.</summary>
public sealed class FaultCourse : IDisposable
{
    private readonly TempDirectory _temp = new();

    /// <summary>Creates the folders, builds the fixture library and writes chapter 01 (starts the lab's child server, records a case, waits).</summary>
    public FaultCourse()
    {
        var root = RepositoryLayout.FindRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("The tests run outside the repository.");
        LabDll = Path.Combine(root, "lib", "bin", "AddressInUse.dll");
        FixtureDll = FixtureLibrary.BuildInto(Path.Combine(_temp.Path, "lib"));
        Directory.CreateDirectory(Images);
        WriteChapter("01-fault", DefaultCells());
    }

    /// <summary>The course folder.</summary>
    public string Root => _temp.Path;

    /// <summary>The chapter notebooks.</summary>
    public string Notebooks => Path.Combine(_temp.Path, "notebooks");

    /// <summary>Executed notebooks and pages.</summary>
    public string Out => Path.Combine(_temp.Path, "out");

    /// <summary>The committed results.json and images.</summary>
    public string Images => Path.Combine(_temp.Path, "images");

    /// <summary>A private TMPDIR for the runs.</summary>
    public string Tmp => Path.Combine(_temp.Path, "tmp");

    /// <summary>The lab the chapters #r (lib/bin/AddressInUse.dll of this repository).</summary>
    public string LabDll { get; }

    /// <summary>The fixture library with a type that records a case in results.json.</summary>
    public string FixtureDll { get; }

    /// <summary>The arguments of `course run` for this course.</summary>
    public string[] RunArgs(params string[] extra) => ["run", "--notebooks", Notebooks, "--out", Out, "--images", Images, .. extra];

    /// <summary>The cells of chapter 01: setup, parameters, a child server, a recorded case, a wait, the end.</summary>
    public InteractiveDocumentElement[] DefaultCells() =>
    [
        NotebookCells.Markdown("# 01 — Fault\n\nIn this chapter the runner is interrupted."),
        NotebookCells.Code($"#r \"{LabDll}\"\n#r \"{FixtureDll}\"\nusing System.Net;\nusing AddressInUse.Child;\nusing AddressInUse.Native;\nusing Fixture;", "setup"),
        Tagged(NotebookCells.Code("var waitSeconds = 0.0;", "params"), "parameters"),
        NotebookCells.Code("var server = await ServerProcess.StartAsync(new ServerSpec(IPAddress.Loopback, 0, BindApi.Native, SocketOptionSet.None));\nserver.Start.Port", "child"),
        NotebookCells.Code("display(new Measurement(\"m1\", 0.5));", "measure"),
        NotebookCells.Code("await Task.Delay(TimeSpan.FromSeconds(waitSeconds));", "wait"),
        NotebookCells.Code("await server.DisposeAsync();\n\"done\"", "done"),
    ];

    /// <summary>The cell with a tag added.</summary>
    public static InteractiveDocumentElement Tagged(InteractiveDocumentElement cell, string tag)
    {
        cell.AddTag(tag);
        return cell;
    }

    /// <summary>Writes a chapter notebook.</summary>
    public void WriteChapter(string name, params InteractiveDocumentElement[] cells)
    {
        var notebook = NotebookCells.CreatePolyglot();
        foreach (var cell in cells)
        {
            notebook.Add(cell);
        }

        NotebookWriter.WriteFile(notebook, Path.Combine(Notebooks, name + ".ipynb"));
    }

    /// <summary>Every file under the folder (relative path → SHA-256), to compare byte for byte.</summary>
    public static Dictionary<string, string> Snapshot(string folder) =>
        Directory.Exists(folder)
            ? Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
                .ToDictionary(f => Path.GetRelativePath(folder, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))))
            : [];

    /// <summary>Course temp files and staging folders anywhere under the folder.</summary>
    public static IReadOnlyList<string> CourseTempEntries(string folder) =>
        Directory.Exists(folder)
            ? Directory.GetFileSystemEntries(folder, "*.course-tmp-*", SearchOption.AllDirectories).ToList()
            : [];

    /// <inheritdoc />
    public void Dispose() => _temp.Dispose();
}
