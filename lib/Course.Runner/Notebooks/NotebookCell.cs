using System.Text.Json.Nodes;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Notebooks;

/// <summary>The nbformat cell types.</summary>
public enum CellType
{
    /// <summary>A cell of C# code.</summary>
    Code,

    /// <summary>A cell of markdown text.</summary>
    Markdown,

    /// <summary>A raw cell, passed through untouched.</summary>
    Raw,
}

/// <summary>One cell of a notebook: its type, id, source, metadata and (for code cells) the Documents API's outputs.</summary>
/// <remarks>Kept beside InteractiveDocumentElement: that has no raw cells, no attachments, and metadata as objects with numbers as double.</remarks>
public sealed class NotebookCell
{
    /// <summary>Creates a cell of the given type with the given source.</summary>
    public NotebookCell(CellType cellType, string source, string? id = null, JsonObject? metadata = null)
    {
        CellType = cellType;
        Source = source;
        Id = id;
        Metadata = metadata ?? [];
    }

    /// <summary>The cell type (code, markdown or raw).</summary>
    public CellType CellType { get; }

    /// <summary>The nbformat 4.5 cell id (null when read from an older notebook that had none).</summary>
    public string? Id { get; set; }

    /// <summary>The cell's source text.</summary>
    public string Source { get; set; }

    /// <summary>The cell metadata, unknown keys included.</summary>
    public JsonObject Metadata { get; }

    /// <summary>The outputs of a code cell, in the order they were produced.</summary>
    public List<InteractiveDocumentOutputElement> Outputs { get; } = [];

    /// <summary>The execution count of a code cell, or null when it has not run.</summary>
    public int? ExecutionCount { get; set; }

    /// <summary>The attachments of a markdown or raw cell, kept as read.</summary>
    public JsonObject? Attachments { get; set; }

    /// <summary>The nbformat name of the cell type.</summary>
    public string CellTypeName => CellTypeNames.ToName(CellType);

    /// <summary>The tags in metadata.tags (papermill uses "parameters" and "injected-parameters").</summary>
    public IReadOnlyList<string> Tags =>
        Metadata["tags"] is JsonArray tags
            ? tags.Select(t => t is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).OfType<string>().ToList()
            : [];

    /// <summary>Creates a C# code cell carrying the Polyglot kernel metadata.</summary>
    public static NotebookCell Code(string source, string? id = null)
    {
        var cell = new NotebookCell(CellType.Code, source, id);
        PolyglotMetadata.ApplyToCodeCell(cell);
        return cell;
    }

    /// <summary>Creates a markdown cell.</summary>
    public static NotebookCell Markdown(string source, string? id = null) => new(CellType.Markdown, source, id);

    /// <summary>True when metadata.tags contains the tag.</summary>
    public bool HasTag(string tag) => Tags.Contains(tag, StringComparer.Ordinal);

    /// <summary>Adds a tag to metadata.tags unless it is already there.</summary>
    public void AddTag(string tag)
    {
        if (Metadata["tags"] is not JsonArray tags)
        {
            tags = [];
            Metadata["tags"] = tags;
        }

        if (!HasTag(tag))
        {
            tags.Add(tag);
        }
    }

    /// <summary>A short label for messages, e.g. "cell 3 (id 5f2c)".</summary>
    public string Describe(int index) => Id is null ? $"cell {index + 1}" : $"cell {index + 1} (id {Id})";

    /// <summary>Copies the cell, outputs included.</summary>
    public NotebookCell Clone()
    {
        var copy = new NotebookCell(CellType, Source, Id, (JsonObject)Metadata.DeepClone())
        {
            ExecutionCount = ExecutionCount,
            Attachments = (JsonObject?)Attachments?.DeepClone(),
        };
        copy.Outputs.AddRange(Outputs.Select(o => o.Copy()));
        return copy;
    }
}

/// <summary>Maps cell types to and from their nbformat names.</summary>
public static class CellTypeNames
{
    /// <summary>The nbformat name of a cell type.</summary>
    public static string ToName(CellType type) => type switch
    {
        CellType.Code => "code",
        CellType.Markdown => "markdown",
        _ => "raw",
    };

    /// <summary>Parses an nbformat cell type name; false for anything else.</summary>
    public static bool TryParse(string? name, out CellType type)
    {
        switch (name)
        {
            case "code":
                type = CellType.Code;
                return true;
            case "markdown":
                type = CellType.Markdown;
                return true;
            case "raw":
                type = CellType.Raw;
                return true;
            default:
                type = default;
                return false;
        }
    }
}
