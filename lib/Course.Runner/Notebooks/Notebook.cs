using System.Text.Json.Nodes;

namespace Course.Runner.Notebooks;

/// <summary>An nbformat 4 notebook: metadata (unknown keys kept) and cells.</summary>
/// <remarks>Kept beside InteractiveDocument: that forgets nbformat_minor (lint reports notebooks older than 4.5) and keeps metadata as objects, not JSON.</remarks>
public sealed class Notebook
{
    /// <summary>The nbformat major version this runner reads and writes.</summary>
    public const int FormatMajor = 4;

    /// <summary>The nbformat minor version written (4.5 introduced cell ids).</summary>
    public const int FormatMinor = 5;

    /// <summary>Creates an empty notebook with the given metadata.</summary>
    public Notebook(JsonObject? metadata = null, int formatMinor = FormatMinor)
    {
        Metadata = metadata ?? [];
        NbFormatMinor = formatMinor;
    }

    /// <summary>The nbformat major version (always 4).</summary>
    public int NbFormat => FormatMajor;

    /// <summary>The nbformat minor version as read (written as at least 5).</summary>
    public int NbFormatMinor { get; set; }

    /// <summary>The notebook metadata, unknown keys included.</summary>
    public JsonObject Metadata { get; }

    /// <summary>The cells in order.</summary>
    public List<NotebookCell> Cells { get; } = [];

    /// <summary>Creates an empty notebook carrying the Polyglot (.NET Interactive) C# metadata.</summary>
    public static Notebook CreatePolyglot()
    {
        var notebook = new Notebook();
        PolyglotMetadata.ApplyToNotebook(notebook);
        return notebook;
    }

    /// <summary>Adds a cell, giving it a unique id when it has none, and returns it.</summary>
    public NotebookCell Add(NotebookCell cell)
    {
        Cells.Add(cell);
        cell.Id ??= NewCellId(Cells.Count - 1);
        return cell;
    }

    /// <summary>Gives every cell without an id a unique one (needed for nbformat 4.5).</summary>
    public void EnsureCellIds()
    {
        for (var i = 0; i < Cells.Count; i++)
        {
            Cells[i].Id ??= NewCellId(i);
        }
    }

    /// <summary>Makes an id that no cell uses yet, derived from the position so that re-runs produce the same ids.</summary>
    public string NewCellId(int index)
    {
        var baseId = $"cell-{index + 1}";
        var id = baseId;
        for (var n = 2; Cells.Any(c => c.Id == id); n++)
        {
            id = $"{baseId}-{n}";
        }

        return id;
    }

    /// <summary>Copies the notebook, cells and outputs included.</summary>
    public Notebook Clone()
    {
        var copy = new Notebook((JsonObject)Metadata.DeepClone(), NbFormatMinor);
        copy.Cells.AddRange(Cells.Select(c => c.Clone()));
        return copy;
    }
}
