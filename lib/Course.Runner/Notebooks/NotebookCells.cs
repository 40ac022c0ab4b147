using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Notebooks;

/// <summary>
/// How the course reads and builds cells of the Documents API's <see cref="InteractiveDocument"/>: a cell's kind is its
/// <see cref="InteractiveDocumentElement.KernelName"/> ("markdown" for markdown, as the Documents API reads it; "raw" for an
/// nbformat raw cell, set by <see cref="NotebookReader"/>; anything else is code).
/// </summary>
public static class NotebookCells
{
    /// <summary>The kernel name the Documents API gives markdown cells.</summary>
    public const string MarkdownKernel = "markdown";

    /// <summary>The kernel name <see cref="NotebookReader"/> gives nbformat raw cells (the Documents API would read them as code, to be run).</summary>
    public const string RawKernel = "raw";

    /// <summary>
    /// The cell metadata key that holds a markdown or raw cell's nbformat attachments while it is read: the Documents API has no
    /// place for them, so <see cref="NotebookReader"/> puts them here and <see cref="NotebookWriter"/> writes them back beside the metadata.
    /// </summary>
    public const string AttachmentsKey = "attachments";

    /// <summary>True for a code cell (one to run).</summary>
    public static bool IsCode(this InteractiveDocumentElement cell) => cell.KernelName is not (MarkdownKernel or RawKernel);

    /// <summary>True for a markdown cell.</summary>
    public static bool IsMarkdown(this InteractiveDocumentElement cell) => cell.KernelName == MarkdownKernel;

    /// <summary>True for an nbformat raw cell (passed through, never run).</summary>
    public static bool IsRaw(this InteractiveDocumentElement cell) => cell.KernelName == RawKernel;

    /// <summary>The nbformat name of the cell's type: code, markdown or raw.</summary>
    public static string CellTypeName(this InteractiveDocumentElement cell) =>
        cell.IsMarkdown() ? "markdown" : cell.IsRaw() ? "raw" : "code";

    /// <summary>Creates a C# code cell carrying the Polyglot kernel metadata.</summary>
    public static InteractiveDocumentElement Code(string source, string? id = null)
    {
        var cell = new InteractiveDocumentElement(source, PolyglotMetadata.KernelName) { Id = id, Metadata = new Dictionary<string, object>() };
        PolyglotMetadata.ApplyToCodeCell(cell);
        return cell;
    }

    /// <summary>Creates a markdown cell.</summary>
    public static InteractiveDocumentElement Markdown(string source, string? id = null, IDictionary<string, object>? metadata = null) =>
        new(source, MarkdownKernel) { Id = id, Metadata = metadata ?? new Dictionary<string, object>() };

    /// <summary>The cell's metadata, created empty when it has none.</summary>
    public static IDictionary<string, object> MetadataOf(this InteractiveDocumentElement cell) => cell.Metadata ??= new Dictionary<string, object>();

    /// <summary>The tags in metadata.tags (papermill uses "parameters" and "injected-parameters").</summary>
    public static IReadOnlyList<string> Tags(this InteractiveDocumentElement cell) =>
        Metadata.Find(cell.Metadata, "tags") is IEnumerable<object> tags ? tags.OfType<string>().ToList() : [];

    /// <summary>True when metadata.tags contains the tag.</summary>
    public static bool HasTag(this InteractiveDocumentElement cell, string tag) => cell.Tags().Contains(tag, StringComparer.Ordinal);

    /// <summary>Adds a tag to metadata.tags unless it is already there.</summary>
    public static void AddTag(this InteractiveDocumentElement cell, string tag)
    {
        if (!cell.HasTag(tag))
        {
            var tags = Metadata.Find(cell.Metadata, "tags") as IEnumerable<object> ?? [];
            cell.MetadataOf()["tags"] = tags.Append(tag).ToArray();
        }
    }

    /// <summary>A markdown or raw cell's attachments (name → MIME bundle), or null when it has none.</summary>
    public static IDictionary<string, object>? Attachments(this InteractiveDocumentElement cell) =>
        cell.IsCode() ? null : Metadata.Find(cell.Metadata, AttachmentsKey) as IDictionary<string, object>;

    /// <summary>A short label for messages, e.g. "cell 3 (id 5f2c)".</summary>
    public static string Describe(this InteractiveDocumentElement cell, int index) =>
        cell.Id is null ? $"cell {index + 1}" : $"cell {index + 1} (id {cell.Id})";

    /// <summary>Copies a cell, metadata and outputs included, so the copy can change independently.</summary>
    public static InteractiveDocumentElement Copy(this InteractiveDocumentElement cell) =>
        new(cell.Contents, cell.KernelName, cell.Outputs.Select(o => o.Copy()))
        {
            Id = cell.Id,
            ExecutionOrder = cell.ExecutionOrder,
            Metadata = cell.Metadata is null ? null : Metadata.CopyDictionary(cell.Metadata),
        };

    /// <summary>Copies a notebook, cells and outputs included.</summary>
    public static InteractiveDocument Copy(this InteractiveDocument notebook)
    {
        var copy = new InteractiveDocument(notebook.Elements.Select(Copy).ToList());
        foreach (var (key, value) in notebook.Metadata)
        {
            copy.Metadata[key] = Metadata.Copy(value)!;
        }

        return copy;
    }

    /// <summary>Makes an id that no cell uses yet, derived from the position so that re-runs produce the same ids.</summary>
    public static string NewCellId(this InteractiveDocument notebook, int index)
    {
        var baseId = $"cell-{index + 1}";
        var id = baseId;
        for (var n = 2; notebook.Elements.Any(c => c.Id == id); n++)
        {
            id = $"{baseId}-{n}";
        }

        return id;
    }

    /// <summary>Gives every cell without an id a unique one (nbformat 4.5 requires them).</summary>
    public static void EnsureCellIds(this InteractiveDocument notebook)
    {
        for (var i = 0; i < notebook.Elements.Count; i++)
        {
            notebook.Elements[i].Id ??= notebook.NewCellId(i);
        }
    }

    /// <summary>Adds a cell, giving it a unique id when it has none, and returns it.</summary>
    public static InteractiveDocumentElement AddCell(this InteractiveDocument notebook, InteractiveDocumentElement cell)
    {
        notebook.Add(cell);
        cell.Id ??= notebook.NewCellId(notebook.Elements.Count - 1);
        return cell;
    }

    /// <summary>Creates an empty notebook carrying the Polyglot (.NET Interactive) C# metadata.</summary>
    public static InteractiveDocument CreatePolyglot()
    {
        var notebook = new InteractiveDocument();
        PolyglotMetadata.ApplyToNotebook(notebook);
        return notebook;
    }
}
