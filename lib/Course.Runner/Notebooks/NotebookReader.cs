using System.Text.Json;
using System.Text.Json.Nodes;

namespace Course.Runner.Notebooks;

/// <summary>Reads nbformat 4 notebooks from JSON, reporting malformed files with the file, the position and the fix.</summary>
public static class NotebookReader
{
    /// <summary>The deepest nesting a notebook may have: System.Text.Json's default, which the schema check, the Documents API and every writer use after the reader.</summary>
    public const int MaxDepth = 64;

    /// <summary>Reads a notebook file.</summary>
    /// <exception cref="NotebookFormatException">The file is missing, not JSON, or not an nbformat 4 notebook.</exception>
    public static Notebook ReadFile(string path) => Parse(ReadText(path), path);

    /// <summary>Reads a notebook file's text, refusing an empty one or one that is not a regular file (a pipe would block the read forever).</summary>
    /// <exception cref="NotebookFormatException">The file is missing, unreadable, empty or not a regular file.</exception>
    public static string ReadText(string path)
    {
        try
        {
            // A FIFO, socket or device named NN-x.ipynb reports size 0 and opening it waits for a writer: the run would hang.
            // FileInfo has no file type on Unix, but every one of those has length 0, as has an empty file, which is no notebook either.
            if (new FileInfo(path) is { Exists: true, Length: 0 })
            {
                throw new NotebookFormatException(path,
                    $"Cannot read notebook {path}: it is empty or not a regular file (a pipe, socket or device). Fix: put the notebook's JSON there (re-save it from Jupyter or VS Code) or move it out of the notebooks folder.");
            }

            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NotebookFormatException(path,
                $"Cannot read notebook {path}: {e.Message} Fix: check that the file exists and is readable.", e);
        }
    }

    /// <summary>Parses notebook JSON; sourceName (usually the path) is used in error messages.</summary>
    /// <exception cref="NotebookFormatException">The text is not JSON or not an nbformat 4 notebook.</exception>
    public static Notebook Parse(string json, string sourceName)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = MaxDepth, AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            var line = (e.LineNumber ?? 0) + 1;
            var position = (e.BytePositionInLine ?? 0) + 1;
            if (e.Message.Contains("maximum configured depth", StringComparison.Ordinal))
            {
                // Refused here, once, with a message: past this depth every later step (schema check, Documents API, writers) would throw.
                throw new NotebookFormatException(sourceName,
                    $"Notebook {sourceName} nests JSON deeper than {MaxDepth} levels (line {line}, position {position}); no notebook needs that. "
                    + "Fix: remove the deeply nested value near that spot (often JSON pasted into metadata or an output), or restore the notebook from git.", e);
            }

            throw new NotebookFormatException(sourceName,
                $"Notebook {sourceName} is not valid JSON: {StripPosition(e.Message)} (line {line}, position {position}). "
                + "Fix: repair the JSON near that spot (often a missing comma, quote or bracket after a hand edit), "
                + "or re-save the notebook from VS Code / Jupyter, or restore it from git.", e);
        }

        // The Documents API accepts what nbformat does not (duplicate keys, other versions, missing fields) or fails without saying where: check first.
        NbformatSchema.Check(root, sourceName);
        try
        {
            return JupyterDocuments.Parse(json, root!.AsObject());
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException or FormatException)
        {
            throw new NotebookFormatException(sourceName,
                $"Notebook {sourceName} could not be read by Microsoft.DotNet.Interactive.Documents: {e.Message.Split('\n')[0]} "
                + "Fix: re-save the notebook from VS Code / Jupyter, or restore it from git.", e);
        }
    }

    private static string StripPosition(string message)
    {
        // System.Text.Json appends its own 0-based "LineNumber: x | BytePositionInLine: y."; we report 1-based positions instead.
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut >= 0 ? message[..cut] : message).TrimEnd();
    }
}
