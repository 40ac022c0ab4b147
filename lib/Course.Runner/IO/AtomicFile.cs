using System.Text;

namespace Course.Runner.IO;

/// <summary>Writes files so that a reader, a crash or a kill sees either the old file or the whole new one, never a truncated mix: the bytes go to a temp file beside the target, are flushed to disk, and the temp file is renamed over the target.</summary>
public static class AtomicFile
{
    /// <summary>The prefix of the temp files (".&lt;name&gt;.course-tmp-…"), so leftovers of a killed run are recognisable and swept.</summary>
    public const string TempMarker = ".course-tmp-";

    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Writes the text as UTF-8 without a byte-order mark, creating the folder.</summary>
    public static void WriteAllText(string path, string text) => WriteAllBytes(path, Utf8NoBom.GetBytes(text));

    /// <summary>Writes the bytes, creating the folder; the target is replaced in one rename.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        var temp = TempPathFor(full);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None))
            {
                stream.Write(bytes);
                // Flush to disk before the rename: after a power cut the new name must not point at unwritten blocks.
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>The temp file name used for a target: hidden, beside it, unique per process and call.</summary>
    public static string TempPathFor(string fullPath) =>
        Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}{TempMarker}{Environment.ProcessId}-{Guid.NewGuid():N}");

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a temp file that cannot be removed now is swept by the next run (Leftovers.Sweep).
        }
    }
}
