using System.Text.RegularExpressions;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Notebooks;

/// <summary>How serious a lint finding is.</summary>
public enum LintSeverity
{
    /// <summary>The notebook works with the runner but not as well elsewhere (e.g. VS Code picks another kernel).</summary>
    Warning,

    /// <summary>The notebook is invalid nbformat 4.5 or will not run.</summary>
    Error,
}

/// <summary>One problem found by <see cref="NotebookLint"/>: where, what, and how to fix it.</summary>
public sealed record LintIssue(LintSeverity Severity, string Location, string Problem, string Fix)
{
    /// <summary>A one-line description, e.g. "warning: cell 3 (id x): ... Fix: ...".</summary>
    public override string ToString() =>
        $"{(Severity == LintSeverity.Error ? "error" : "warning")}: {Location}: {Problem}. Fix: {Fix}.";
}

/// <summary>Checks that a course notebook carries the Polyglot C# metadata and valid nbformat 4.5 cell ids.</summary>
public static partial class NotebookLint
{
    private const string FixAll = "run `dotnet run --project lib/Course.Runner -- lint --fix`, or open and save the notebook in VS Code with the Polyglot C# kernel";

    /// <summary>Lists the problems in a notebook (empty when it is fine); formatMinor is the nbformat minor version the file declares.</summary>
    public static IReadOnlyList<LintIssue> Check(InteractiveDocument notebook, int formatMinor = NotebookReader.FormatMinor)
    {
        var issues = new List<LintIssue>();
        var metadata = notebook.Metadata;

        var kernelspec = Metadata.Find(metadata, "kernelspec") as IDictionary<string, object>;
        if (kernelspec is null)
        {
            issues.Add(new(LintSeverity.Warning, "metadata.kernelspec", "missing, so editors will not pick the .NET (C#) kernel", FixAll));
        }
        else
        {
            ExpectString(issues, kernelspec, "display_name", PolyglotMetadata.KernelDisplayName, "metadata.kernelspec");
            ExpectString(issues, kernelspec, "language", PolyglotMetadata.KernelLanguage, "metadata.kernelspec");
            ExpectString(issues, kernelspec, "name", PolyglotMetadata.KernelSpecName, "metadata.kernelspec");
        }

        if (Metadata.Find(metadata, "language_info") is not IDictionary<string, object> languageInfo)
        {
            issues.Add(new(LintSeverity.Warning, "metadata.language_info", "missing", FixAll));
        }
        else
        {
            ExpectString(issues, languageInfo, "name", PolyglotMetadata.LanguageInfoName, "metadata.language_info");
        }

        CheckKernelInfo(issues, metadata);

        if (formatMinor < NotebookReader.FormatMinor)
        {
            issues.Add(new(LintSeverity.Warning, "nbformat_minor", $"is {formatMinor}; cell ids need nbformat 4.5", FixAll));
        }

        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < notebook.Elements.Count; i++)
        {
            var cell = notebook.Elements[i];
            var where = cell.Describe(i);
            if (cell.Id is null)
            {
                issues.Add(new(LintSeverity.Error, where, "has no id (nbformat 4.5 requires one)", FixAll));
            }
            else if (!CellIdPattern().IsMatch(cell.Id))
            {
                issues.Add(new(LintSeverity.Error, where, "has an id that is not 1-64 letters, digits, '-' or '_'", "rename the id"));
            }
            else if (seen.TryGetValue(cell.Id, out var first))
            {
                issues.Add(new(LintSeverity.Error, where, $"has the same id as cell {first + 1}", "give one of them a new id"));
            }
            else
            {
                seen[cell.Id] = i;
            }

            if (cell.IsCode())
            {
                if (Metadata.FindString(cell.Metadata, "polyglot_notebook", "kernelName") != PolyglotMetadata.KernelName)
                {
                    issues.Add(new(LintSeverity.Warning, where,
                        "metadata.polyglot_notebook.kernelName is not \"csharp\", so VS Code may run it with another kernel", FixAll));
                }
            }

            if (VerdictCells.IsVerdict(cell) && !VerdictCells.IsSourceHidden(cell))
            {
                issues.Add(new(LintSeverity.Warning, where,
                    "checks sentences (text.Check) but metadata.jupyter.source_hidden is not true, so readers see the checking code instead of the verdict", FixAll));
            }
        }

        return issues;
    }

    /// <summary>Adds the Polyglot metadata, missing cell ids and the hidden source of verdict cells in place (what `lint --fix` does; the file is then written as nbformat 4.5).</summary>
    public static void Fix(InteractiveDocument notebook)
    {
        PolyglotMetadata.ApplyToNotebook(notebook);
        foreach (var cell in notebook.Elements.Where(VerdictCells.IsVerdict))
        {
            VerdictCells.HideSource(cell);
        }

        notebook.EnsureCellIds();
    }

    private static void CheckKernelInfo(List<LintIssue> issues, IDictionary<string, object> metadata)
    {
        const string where = "metadata.polyglot_notebook.kernelInfo";
        var kernelInfo = Metadata.Find(metadata, "polyglot_notebook", "kernelInfo") as IDictionary<string, object>;
        if (kernelInfo is null)
        {
            issues.Add(new(LintSeverity.Warning, where, "missing", FixAll));
            return;
        }

        ExpectString(issues, kernelInfo, "defaultKernelName", PolyglotMetadata.KernelName, where);
        var hasCsharp = Metadata.Find(kernelInfo, "items") is IEnumerable<object> items
            && items.OfType<IDictionary<string, object>>().Any(item => Metadata.FindString(item, "name") == PolyglotMetadata.KernelName);
        if (!hasCsharp)
        {
            issues.Add(new(LintSeverity.Warning, $"{where}.items", "has no entry {\"aliases\": [], \"name\": \"csharp\"}", FixAll));
        }
    }

    private static void ExpectString(List<LintIssue> issues, IDictionary<string, object> obj, string key, string expected, string where)
    {
        var actual = Metadata.FindString(obj, key);
        if (actual != expected)
        {
            issues.Add(new(LintSeverity.Warning, $"{where}.{key}",
                actual is null ? $"missing (expected \"{expected}\")" : $"is \"{actual}\" (expected \"{expected}\")", FixAll));
        }
    }

    [GeneratedRegex("^[a-zA-Z0-9-_]{1,64}$")]
    private static partial Regex CellIdPattern();
}
