using System.Text.RegularExpressions;

namespace Course.Runner.Pipeline;

/// <summary>One chapter notebook: "NN-name.ipynb".</summary>
/// <param name="Name">The file name without extension, e.g. "01-address-already-in-use".</param>
/// <param name="Number">The two-digit prefix, e.g. "01".</param>
/// <param name="Path">The notebook's full path.</param>
public sealed record Chapter(string Name, string Number, string Path);

/// <summary>Lists the chapter notebooks of a folder in order and selects chapters by prefix.</summary>
public static partial class ChapterCatalog
{
    /// <summary>The chapter notebooks (NN-*.ipynb) in the folder, sorted by name.</summary>
    /// <exception cref="CourseException">The folder does not exist or holds no chapter notebooks.</exception>
    public static IReadOnlyList<Chapter> Discover(string folder)
    {
        if (File.Exists(folder))
        {
            throw new CourseException($"--notebooks {folder} is a file, not a folder. Fix: pass the folder that holds it, e.g. --notebooks {Path.GetDirectoryName(folder)}, and pick the chapter with --chapter NN.");
        }

        if (!Directory.Exists(folder))
        {
            throw new CourseException($"The notebooks folder {folder} does not exist. Fix: pass --notebooks with the folder that holds the NN-name.ipynb chapters.");
        }

        var chapters = Directory.EnumerateFiles(folder, "*.ipynb")
            .Select(p => (path: Path.GetFullPath(p), match: ChapterName().Match(Path.GetFileName(p))))
            .Where(x => x.match.Success)
            .Select(x => new Chapter(Path.GetFileNameWithoutExtension(x.path), x.match.Groups["number"].Value, x.path))
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToList();
        if (chapters.Count == 0)
        {
            throw new CourseException($"No chapter notebooks (NN-name.ipynb, e.g. 01-address-already-in-use.ipynb) in {folder}. Fix: pass --notebooks with the course's notebooks folder.");
        }

        return chapters;
    }

    /// <summary>The chapters whose name starts with any of the selectors ("1" means "01"); all chapters when there are no selectors.</summary>
    /// <exception cref="UsageException">A selector matches no chapter; the message lists the available ones.</exception>
    public static IReadOnlyList<Chapter> Select(IReadOnlyList<Chapter> chapters, IReadOnlyCollection<string> selectors)
    {
        if (selectors.Count == 0)
        {
            return chapters;
        }

        var selected = new List<Chapter>();
        foreach (var selector in selectors)
        {
            var prefix = selector.Length == 1 && char.IsAsciiDigit(selector[0]) ? "0" + selector : selector;
            var matches = chapters.Where(c => c.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).ToList();
            if (matches.Count == 0)
            {
                throw new UsageException(
                    $"No chapter matches --chapter {selector}. Available chapters: {string.Join(", ", chapters.Select(c => c.Name))}. "
                    + "Fix: pass a chapter number such as --chapter " + chapters[0].Number + ".");
            }

            selected.AddRange(matches.Where(m => !selected.Contains(m)));
        }

        return selected.OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
    }

    [GeneratedRegex(@"^(?<number>\d{2})-.+\.ipynb$", RegexOptions.IgnoreCase)]
    private static partial Regex ChapterName();
}
