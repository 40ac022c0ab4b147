using Course.Runner.IO;

namespace Course.Runner.Tests.IO;

public sealed class FileSetTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public FileSetTests()
    {
        Directory.CreateDirectory(Folder);
        Directory.CreateDirectory(Staging);
        File.WriteAllText(Path.Combine(Folder, "01-a.svg"), "old a");
        File.WriteAllText(Path.Combine(Folder, "results.json"), "old results");
    }

    private string Folder => Path.Combine(_temp.Path, "images");

    private string Staging => Path.Combine(_temp.Path, "staging");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Replace_EveryStep_Succeeds_NewSetInPlace_NoJournalLeft()
    {
        var staged = Stage(("01-a.svg", "new a"), ("02-b.svg", "new b"), ("results.json", "new results"));

        FileSet.Replace(Folder, staged);

        Assert.Equal(new Dictionary<string, string> { ["01-a.svg"] = "new a", ["02-b.svg"] = "new b", ["results.json"] = "new results" }, Contents());
    }

    [Fact]
    public void Replace_AStagedFileVanishesMidway_PreviousSetPutBack_OneLineError()
    {
        // The second move fails after the first one replaced its target: the first must be put back, the new third never appear.
        var staged = Stage(("01-a.svg", "new a"), ("02-b.svg", "new b"), ("results.json", "new results"));
        File.Delete(staged[1]);

        var e = Assert.Throws<CourseException>(() => FileSet.Replace(Folder, staged));

        Assert.Contains("the previous set was put back", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(new Dictionary<string, string> { ["01-a.svg"] = "old a", ["results.json"] = "old results" }, Contents());
    }

    [Fact]
    public void Replace_ATargetIsAFolder_NothingReplaced_ErrorNamesItAndTheFix()
    {
        Directory.CreateDirectory(Path.Combine(Folder, "02-b.svg"));
        var staged = Stage(("01-a.svg", "new a"), ("02-b.svg", "new b"), ("results.json", "new results"));

        var e = Assert.Throws<CourseException>(() => FileSet.Replace(Folder, staged));

        Assert.Contains(Path.Combine(Folder, "02-b.svg") + " is a folder", e.Message);
        Assert.Contains("Fix:", e.Message);
        Assert.Equal("old a", File.ReadAllText(Path.Combine(Folder, "01-a.svg")));
        Assert.Equal("old results", File.ReadAllText(Path.Combine(Folder, "results.json")));
    }

    [Fact]
    public void Sweep_JournalOfARunKilledMidReplace_PutsThePreviousSetBack()
    {
        // What a run killed between two moves leaves: a complete journal, one file already new, one new file added.
        var journal = Path.Combine(Folder, $"{FileSet.JournalPrefix}999999999-{Guid.NewGuid():N}");
        Directory.CreateDirectory(journal);
        File.WriteAllText(Path.Combine(journal, "01-a.svg"), "old a");
        File.WriteAllText(Path.Combine(journal, "results.json"), "old results");
        File.WriteAllLines(Path.Combine(journal, ".new"), ["02-b.svg"]);
        File.WriteAllText(Path.Combine(journal, ".ready"), "");
        File.WriteAllText(Path.Combine(Folder, "01-a.svg"), "new a");
        File.WriteAllText(Path.Combine(Folder, "02-b.svg"), "new b");

        var removed = Leftovers.Sweep(Folder);

        Assert.Equal([journal], removed);
        Assert.Equal(new Dictionary<string, string> { ["01-a.svg"] = "old a", ["results.json"] = "old results" }, Contents());
    }

    [Fact]
    public void Sweep_IncompleteJournalOfAKilledRun_ChangesNoFile()
    {
        // Killed while copying the old files: nothing was moved yet, so the journal is only removed.
        var journal = Path.Combine(Folder, $"{FileSet.JournalPrefix}999999999-{Guid.NewGuid():N}");
        Directory.CreateDirectory(journal);
        File.WriteAllText(Path.Combine(journal, "01-a.svg"), "stale copy");

        Leftovers.Sweep(Folder);

        Assert.Equal(new Dictionary<string, string> { ["01-a.svg"] = "old a", ["results.json"] = "old results" }, Contents());
    }

    private List<string> Stage(params (string Name, string Text)[] files)
    {
        var paths = new List<string>();
        foreach (var (name, text) in files)
        {
            var path = Path.Combine(Staging, name);
            File.WriteAllText(path, text);
            paths.Add(path);
        }

        return paths;
    }

    // Everything in the folder, hidden entries included, so a journal left behind fails the comparison.
    private Dictionary<string, string> Contents() =>
        Directory.GetFileSystemEntries(Folder).ToDictionary(p => Path.GetFileName(p), p => File.Exists(p) ? File.ReadAllText(p) : "<folder>");
}
