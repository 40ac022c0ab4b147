using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.DotNet.Interactive.Documents;
using Jupyter = Microsoft.DotNet.Interactive.Documents.Jupyter.Notebook;

namespace Course.Runner.Notebooks;

/// <summary>
/// Reads nbformat 4 notebooks into the Documents API's <see cref="InteractiveDocument"/> (its Jupyter parser), after checking them
/// against the nbformat schema, reporting malformed files with the file, the position and the fix.
/// </summary>
public static class NotebookReader
{
    /// <summary>The nbformat major version this runner reads and writes.</summary>
    public const int FormatMajor = 4;

    /// <summary>The nbformat minor version written (4.5 introduced cell ids; the Documents API writes it).</summary>
    public const int FormatMinor = 5;

    /// <summary>The deepest nesting a notebook may have: System.Text.Json's default, which the schema check, the Documents API and every writer use after the reader.</summary>
    public const int MaxDepth = 64;

    /// <summary>Reads a notebook file.</summary>
    /// <exception cref="NotebookFormatException">The file is missing, not JSON, or not an nbformat 4 notebook.</exception>
    public static InteractiveDocument ReadFile(string path) => ReadFile(path, out _);

    /// <summary>Reads a notebook file and the nbformat minor version it was written with (the Documents API forgets it; lint reports one older than 4.5).</summary>
    /// <exception cref="NotebookFormatException">The file is missing, not JSON, or not an nbformat 4 notebook.</exception>
    public static InteractiveDocument ReadFile(string path, out int formatMinor) => Parse(ReadText(path), path, out formatMinor);

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
    public static InteractiveDocument Parse(string json, string sourceName) => Parse(json, sourceName, out _);

    /// <summary>Parses notebook JSON and gives the nbformat minor version it declares.</summary>
    /// <exception cref="NotebookFormatException">The text is not JSON or not an nbformat 4 notebook.</exception>
    public static InteractiveDocument Parse(string json, string sourceName, out int formatMinor)
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
        formatMinor = (int)root!["nbformat_minor"]!;
        InteractiveDocument document;
        try
        {
            document = Jupyter.Parse(json);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException or FormatException)
        {
            throw new NotebookFormatException(sourceName,
                $"Notebook {sourceName} could not be read by Microsoft.DotNet.Interactive.Documents: {e.Message.Split('\n')[0]} "
                + "Fix: re-save the notebook from VS Code / Jupyter, or restore it from git.", e);
        }

        var cells = root["cells"]!.AsArray();
        for (var i = 0; i < cells.Count; i++)
        {
            var cell = cells[i]!.AsObject();
            var element = document.Elements[i];
            if ((string?)cell["cell_type"] == "raw")
            {
                // The Documents API reads a raw cell as code, which would then be run.
                element.KernelName = NotebookCells.RawKernel;
                element.Outputs.Clear();
            }

            if (cell["attachments"] is JsonObject attachments)
            {
                // The Documents API drops attachments (an image pasted into markdown); they travel in the cell's metadata until written.
                if (element.MetadataOf().ContainsKey(NotebookCells.AttachmentsKey))
                {
                    throw new NotebookFormatException(sourceName,
                        $"Notebook {sourceName}: {element.Describe(i)} has both attachments and a metadata key \"{NotebookCells.AttachmentsKey}\", which the course runner keeps attachments in. "
                        + $"Fix: rename the metadata key \"{NotebookCells.AttachmentsKey}\" of that cell.");
                }

                element.MetadataOf()[NotebookCells.AttachmentsKey] = Metadata.FromJson(attachments)!;
            }
        }

        return document;
    }

    private static string StripPosition(string message)
    {
        // System.Text.Json appends its own 0-based "LineNumber: x | BytePositionInLine: y."; we report 1-based positions instead.
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut >= 0 ? message[..cut] : message).TrimEnd();
    }
}
