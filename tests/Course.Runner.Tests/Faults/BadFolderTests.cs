using System.Diagnostics;
using Course.Runner.Notebooks;
using Course.Runner.Tests.Fixtures;

namespace Course.Runner.Tests.Faults;

/// <summary>
/// Bad folders given to the verbs that are not `run` (its output folders are tested in RunCommandTests): a notebooks folder
/// mounted read-only for nav and lint --fix, a chapter that is a pipe or a dangling link, a current folder that was deleted.
/// Each gets one line naming the problem and the fix, no stack trace, and nothing changed. The runner runs as a real process;
/// for the read-only cases inside a private user and mount namespace where the folder is bind-mounted read-only (root, as the
/// tests often run, ignores file modes, so chmod cannot make a folder read-only).
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class BadFolderTests : IDisposable
{
    // Only a hang is caught here, never slowness: at load 80 on 2 cores one runner start took over a minute.
    private static readonly TimeSpan HangDeadline = TimeSpan.FromMinutes(10);

    private readonly TempDirectory _temp = new();

    private string Notebooks => Path.Combine(_temp.Path, "notebooks");

    public BadFolderTests()
    {
        Directory.CreateDirectory(Notebooks);
        foreach (var name in new[] { "00-start", "01-first" })
        {
            // No navigation cell and no Polyglot metadata: both nav and lint --fix have something to write.
            File.WriteAllText(Path.Combine(Notebooks, name + ".ipynb"),
                $$"""{"cells": [{"cell_type": "markdown", "id": "title", "metadata": {}, "source": ["# {{name}}\n", "\n", "Body."]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}""");
        }
    }

    public void Dispose() => _temp.Dispose();

    [LabFaultFact]
    public async Task Nav_ReadOnlyNotebooksFolder_OneLineNamingTheFolderAndTheFix_NothingChanged()
    {
        var before = FaultCourse.Snapshot(Notebooks);

        var (code, output) = await RunReadOnlyAsync("nav", "--notebooks", Notebooks);

        Assert.Equal(1, code);
        Assert.DoesNotContain("   at ", output);
        Assert.DoesNotContain("internal error", output);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("Fix:", StringComparison.Ordinal));
        Assert.Contains(Notebooks, line);
        Assert.Contains("Read-only file system", line);
        Assert.Contains("nav --check", line);
        Assert.DoesNotContain(".course-tmp-", line);
        Assert.Equal(before, FaultCourse.Snapshot(Notebooks));
    }

    [LabFaultFact]
    public async Task NavCheck_ReadOnlyNotebooksFolder_ComparesWithoutWriting()
    {
        var (code, output) = await RunReadOnlyAsync("nav", "--check", "--notebooks", Notebooks);

        Assert.Equal(1, code);
        Assert.Contains("00-start: navigation out of date", output);
        Assert.DoesNotContain("   at ", output);
    }

    [LabFaultFact]
    public async Task LintFix_ReadOnlyNotebooksFolder_OneLineNamingTheFolderAndTheFix_NothingChanged()
    {
        var before = FaultCourse.Snapshot(Notebooks);

        var (code, output) = await RunReadOnlyAsync("lint", "--fix", "--notebooks", Notebooks);

        Assert.Equal(1, code);
        Assert.DoesNotContain("   at ", output);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("Fix:", StringComparison.Ordinal));
        Assert.Contains(Notebooks, line);
        Assert.Contains("Read-only file system", line);
        Assert.Contains("without --fix", line);
        Assert.Equal(before, FaultCourse.Snapshot(Notebooks));
    }

    [PosixFaultFact]
    public async Task ReadText_ChapterThatIsAPipe_RefusedAtOnceNamingTheFile()
    {
        // A FIFO named like a chapter: reading it would wait for a writer forever (nav, lint and run all hung on one).
        var pipe = Path.Combine(Notebooks, "02-pipe.ipynb");
        using (var mkfifo = Process.Start("mkfifo", [pipe])!)
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var error = Assert.Throws<NotebookFormatException>(() => NotebookReader.ReadText(pipe));

        Assert.Contains(pipe, error.Message);
        Assert.Contains("not a regular file", error.Message);
        Assert.Contains("Fix:", error.Message);
    }

    [PosixFaultFact]
    public async Task Nav_ChapterThatIsADanglingLink_OneLineNamingTheFile()
    {
        File.CreateSymbolicLink(Path.Combine(Notebooks, "02-gone.ipynb"), Path.Combine(_temp.Path, "nowhere.ipynb"));
        await using var course = CourseProcess.Start(Path.Combine(_temp.Path, "tmp"), "nav", "--notebooks", Notebooks);

        var code = await course.WaitForExitAsync(HangDeadline);

        Assert.Equal(1, code);
        Assert.DoesNotContain("   at ", course.Output);
        Assert.Contains("Cannot read notebook " + Path.Combine(Notebooks, "02-gone.ipynb"), course.Output);
        Assert.Contains("Fix:", course.Output);
    }

    [PosixFaultFact]
    public async Task Nav_CurrentFolderDeleted_OneLineSayingSoAndTheFix()
    {
        var gone = Path.Combine(_temp.Path, "gone");
        Directory.CreateDirectory(gone);

        var (code, output) = await RunShellAsync("cd \"$1\" && rmdir \"$1\" && shift && exec dotnet exec \"$@\"", [gone, CourseDll, "nav"]);

        Assert.Equal(1, code);
        Assert.DoesNotContain("   at ", output);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("current folder no longer exists", line);
        Assert.Contains("Fix:", line);
    }

    private static string CourseDll => Path.Combine(AppContext.BaseDirectory, "course.dll");

    // The runner (dotnet exec course.dll, as CourseProcess starts it) inside `unshare --user --map-root-user --mount`, after
    // a read-only bind mount of the temp folder over itself; the mount ends with the namespace when the process exits.
    private Task<(int Code, string Output)> RunReadOnlyAsync(params string[] args) =>
        RunShellAsync("mount --bind -o ro \"$1\" \"$1\" && shift && exec dotnet exec \"$@\"", [_temp.Path, CourseDll, .. args], ["unshare", "--user", "--map-root-user", "--mount"]);

    // sh -c script with the arguments as $1…, optionally under a wrapper command; stdin closed, stdout and stderr together.
    private static async Task<(int Code, string Output)> RunShellAsync(string script, string[] args, string[]? wrapper = null)
    {
        string[] command = [.. wrapper ?? [], "sh", "-c", script, "sh", .. args];
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var arg in command[1..])
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["CI"] = "true";
        start.Environment["DOTNET_EnableDiagnostics"] = "0";
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(HangDeadline);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
