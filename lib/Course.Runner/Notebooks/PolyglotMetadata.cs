using System.Text.Json.Nodes;

namespace Course.Runner.Notebooks;

/// <summary>The metadata VS Code's Polyglot Notebooks extension writes for C# notebooks, so the course notebooks also open there.</summary>
public static class PolyglotMetadata
{
    /// <summary>The kernel name of the C# kernel.</summary>
    public const string KernelName = "csharp";

    /// <summary>The kernelspec display name.</summary>
    public const string KernelDisplayName = ".NET (C#)";

    /// <summary>The kernelspec language.</summary>
    public const string KernelLanguage = "C#";

    /// <summary>The kernelspec name.</summary>
    public const string KernelSpecName = ".net-csharp";

    /// <summary>The language_info name Polyglot writes.</summary>
    public const string LanguageInfoName = "polyglot-notebook";

    /// <summary>Sets kernelspec, language_info and polyglot_notebook.kernelInfo on the notebook, keeping other metadata.</summary>
    public static void ApplyToNotebook(Notebook notebook)
    {
        var metadata = notebook.Metadata;
        metadata["kernelspec"] = new JsonObject
        {
            ["display_name"] = KernelDisplayName,
            ["language"] = KernelLanguage,
            ["name"] = KernelSpecName,
        };

        if (metadata["language_info"] is not JsonObject languageInfo)
        {
            languageInfo = [];
            metadata["language_info"] = languageInfo;
        }

        languageInfo["name"] = LanguageInfoName;

        if (metadata["polyglot_notebook"] is not JsonObject polyglot)
        {
            polyglot = [];
            metadata["polyglot_notebook"] = polyglot;
        }

        polyglot["kernelInfo"] = new JsonObject
        {
            ["defaultKernelName"] = KernelName,
            ["items"] = new JsonArray(new JsonObject { ["aliases"] = new JsonArray(), ["name"] = KernelName }),
        };

        foreach (var cell in notebook.Cells.Where(c => c.CellType == CellType.Code))
        {
            ApplyToCodeCell(cell);
        }
    }

    /// <summary>Sets metadata.polyglot_notebook.kernelName = "csharp" on a code cell.</summary>
    public static void ApplyToCodeCell(NotebookCell cell)
    {
        if (cell.Metadata["polyglot_notebook"] is not JsonObject polyglot)
        {
            polyglot = [];
            cell.Metadata["polyglot_notebook"] = polyglot;
        }

        polyglot["kernelName"] = KernelName;
    }
}
