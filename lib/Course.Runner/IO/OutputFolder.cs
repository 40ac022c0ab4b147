namespace Course.Runner.IO;

/// <summary>Proves, before anything runs, that a folder the runner will write can be written: created if missing, a probe file written and removed.</summary>
public static class OutputFolder
{
    /// <summary>Creates the folder and writes and removes a probe file in it; throws a one-line <see cref="CourseException"/> naming the folder and the fix.</summary>
    /// <param name="path">The folder, absolute.</param>
    /// <param name="option">The option that names it (e.g. "--out"), used in the fix.</param>
    /// <param name="verb">The verb in the message ("course run").</param>
    /// <param name="fix">The fix for a folder that cannot be written (default: name another folder with the option, or make this one writable).</param>
    public static void Prepare(string path, string option, string verb = "course run", string? fix = null)
    {
        var other = $"Fix: name a folder you can write with {option} DIR";
        if (File.Exists(path))
        {
            throw new CourseException($"{verb}: {option} {path} is a file, not a folder. {other}, or move the file away.");
        }

        try
        {
            Directory.CreateDirectory(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new CourseException($"{verb}: cannot create the folder {path} ({option}): {Reason(e)}. {other}.", e);
        }

        // The probe carries AtomicFile's marker and this process's id, so a probe left by a kill is swept by the next run.
        var probe = AtomicFile.TempPathFor(Path.Combine(path, "write-probe"));
        try
        {
            using (var stream = new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
                stream.WriteByte(0);
                stream.Flush(flushToDisk: false);
            }

            if (File.Exists(probe))
            {
                File.Delete(probe);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CourseException($"{verb}: cannot write in the folder {path} ({option}): {Reason(e)}. {fix ?? other + ", or make this one writable (chmod u+w, or mount it read-write)"}.", e);
        }
    }

    /// <summary>Throws a one-line <see cref="CourseException"/> when a file the run will replace is a folder (it could never be replaced).</summary>
    public static void RequireFileOrNothing(string path, string verb = "course run")
    {
        if (Directory.Exists(path))
        {
            throw new CourseException($"{verb}: {path} is a folder, but the run writes a file there. Fix: move that folder away (nothing was run or changed).");
        }
    }

    /// <summary>The runtime's message for a file-system error as part of a sentence: without its trailing period, and without the
    /// " : '/path'" the runtime appends (the message already names the folder; the probe's temp name would only confuse).</summary>
    public static string Reason(Exception e)
    {
        var message = e.Message.Trim();
        var path = message.IndexOf(" : '", StringComparison.Ordinal);
        return (path > 0 ? message[..path] : message).Trim().TrimEnd('.');
    }
}
