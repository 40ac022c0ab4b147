using Microsoft.DotNet.Interactive.Documents;

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
    public static void ApplyToNotebook(InteractiveDocument notebook)
    {
        var metadata = notebook.Metadata;
        metadata["kernelspec"] = new Dictionary<string, object>
        {
            ["display_name"] = KernelDisplayName,
            ["language"] = KernelLanguage,
            ["name"] = KernelSpecName,
        };
        Metadata.Child(metadata, "language_info")["name"] = LanguageInfoName;
        Metadata.Child(metadata, "polyglot_notebook")["kernelInfo"] = new Dictionary<string, object>
        {
            ["defaultKernelName"] = KernelName,
            ["items"] = new object[] { new Dictionary<string, object> { ["aliases"] = Array.Empty<object>(), ["name"] = KernelName } },
        };

        foreach (var cell in notebook.Elements.Where(c => c.IsCode()))
        {
            ApplyToCodeCell(cell);
        }
    }

    /// <summary>Sets metadata.polyglot_notebook.kernelName = "csharp" on a code cell.</summary>
    public static void ApplyToCodeCell(InteractiveDocumentElement cell) =>
        Metadata.Child(cell.MetadataOf(), "polyglot_notebook")["kernelName"] = KernelName;
}
