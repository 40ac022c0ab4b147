namespace Course.Runner.IO;

/// <summary>
/// Replaces a set of files in one folder together (the committed chart images and results.json): after a failure at any
/// point, in this process or after a kill (the next run's sweep), the folder holds the whole previous set again.
/// </summary>
/// <remarks>A folder has no multi-file rename, so the old files are copied into a journal folder first; a marker file written
/// after the copies says the journal is complete, and removing it is the moment the new set counts as committed.</remarks>
public static class FileSet
{
    /// <summary>The prefix of the journal folder (".course-tmp-backup-&lt;pid&gt;-&lt;guid&gt;") that <see cref="Leftovers"/> recognises.</summary>
    public const string JournalPrefix = ".course-tmp-backup-";

    private const string ReadyMarker = ".ready";
    private const string NewNames = ".new";

    /// <summary>Moves each staged file over the file of the same name in <paramref name="folder"/>; all or none of them.</summary>
    /// <exception cref="CourseException">A target is a folder (nothing changed), or a move failed (the previous set is back).</exception>
    public static void Replace(string folder, IReadOnlyList<string> stagedFiles)
    {
        var names = stagedFiles.Select(Path.GetFileName).Select(n => n!).ToList();
        foreach (var name in names)
        {
            OutputFolder.RequireFileOrNothing(Path.Combine(folder, name));
        }

        var journal = Path.Combine(folder, $"{JournalPrefix}{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(journal);
        try
        {
            var added = new List<string>();
            foreach (var name in names)
            {
                var target = Path.Combine(folder, name);
                if (File.Exists(target))
                {
                    File.Copy(target, Path.Combine(journal, name));
                }
                else
                {
                    added.Add(name);
                }
            }

            File.WriteAllLines(Path.Combine(journal, NewNames), added);
            using (var ready = new FileStream(Path.Combine(journal, ReadyMarker), FileMode.CreateNew, FileAccess.Write))
            {
                ready.Flush(flushToDisk: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing was replaced yet.
            Leftovers.Delete(journal);
            throw new CourseException($"course run: could not set the previous files of {folder} aside ({e.Message.TrimEnd('.')}); nothing was replaced. Fix: free disk space or make the folder writable, then run again.", e);
        }

        try
        {
            for (var i = 0; i < stagedFiles.Count; i++)
            {
                File.Move(stagedFiles[i], Path.Combine(folder, names[i]), overwrite: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            RollBack(journal);
            throw new CourseException($"course run: could not replace the files in {folder} ({e.Message.TrimEnd('.')}); the previous set was put back. Fix: make the folder and its files writable, then run again.", e);
        }

        // The commit point: without the marker the journal is only litter.
        File.Delete(Path.Combine(journal, ReadyMarker));
        Leftovers.Delete(journal);
    }

    /// <summary>Puts the set a journal holds back into its folder (when the journal is complete) and removes the journal.</summary>
    /// <returns>True when files were put back.</returns>
    public static bool RollBack(string journal)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(journal))!;
        var restored = false;
        if (File.Exists(Path.Combine(journal, ReadyMarker)))
        {
            foreach (var name in File.ReadAllLines(Path.Combine(journal, NewNames)).Where(n => n.Length > 0))
            {
                Leftovers.Delete(Path.Combine(folder, name));
            }

            foreach (var saved in Directory.GetFiles(journal).Where(f => !Path.GetFileName(f).StartsWith('.')))
            {
                File.Move(saved, Path.Combine(folder, Path.GetFileName(saved)), overwrite: true);
            }

            File.Delete(Path.Combine(journal, ReadyMarker));
            restored = true;
        }

        Leftovers.Delete(journal);
        return restored;
    }
}
