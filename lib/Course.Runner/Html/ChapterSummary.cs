using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Course.Runner.Notebooks;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Html;

/// <summary>What the contents page says about one chapter: its title, its objectives and how long it takes.</summary>
/// <param name="Title">The first markdown heading, or the file name.</param>
/// <param name="Objectives">The bullet items after "In this chapter you will…", as markdown, in order.</param>
/// <param name="Minutes">The chapter's duration in minutes.</param>
/// <param name="MinutesEstimated">True when <paramref name="Minutes"/> was computed rather than read from metadata.course.minutes.</param>
public sealed partial record ChapterSummary(string Title, IReadOnlyList<string> Objectives, int Minutes, bool MinutesEstimated)
{
    /// <summary>The notebook metadata object the course owns ("course": { "minutes": 25 }).</summary>
    public const string MetadataKey = "course";

    /// <summary>The phrase that introduces a chapter's objectives list.</summary>
    public const string ObjectivesPhrase = "In this chapter you will";

    /// <summary>Reads the summary of a notebook; the fallback is the title when the notebook has no heading.</summary>
    public static ChapterSummary Of(InteractiveDocument notebook, string fallbackTitle)
    {
        var title = ChapterPageRenderer.TitleOf(notebook, fallbackTitle);
        var declared = Metadata.Find(notebook.Metadata, MetadataKey, "minutes") is double m && m > 0 && m == Math.Floor(m) && m <= int.MaxValue ? (int)m : (int?)null;
        return new ChapterSummary(title, ObjectivesOf(notebook), declared ?? EstimateMinutes(notebook), declared is null);
    }

    /// <summary>The bullet items of the first list that follows the objectives phrase, without their trailing ";" or ".".</summary>
    public static IReadOnlyList<string> ObjectivesOf(InteractiveDocument notebook)
    {
        foreach (var cell in notebook.Elements.Where(c => c.IsMarkdown() && !NavigationCell.IsNavigation(c)))
        {
            var at = cell.Contents.IndexOf(ObjectivesPhrase, StringComparison.OrdinalIgnoreCase);
            if (at < 0)
            {
                continue;
            }

            var items = new List<string>();
            var started = false;
            foreach (var line in cell.Contents[at..].Split('\n').Skip(1))
            {
                var bullet = Bullet().Match(line);
                if (bullet.Success)
                {
                    started = true;
                    // A [✓](#verdict-…) link points into the chapter's own page; in the README or another chapter's map it would lead nowhere.
                    items.Add(VerdictLink().Replace(bullet.Groups["text"].Value, "").TrimEnd().TrimEnd(';', '.').TrimEnd());
                }
                else if (started && line.StartsWith("  ", StringComparison.Ordinal) && line.Trim().Length > 0)
                {
                    // A wrapped bullet continues on an indented line.
                    items[^1] += " " + line.Trim().TrimEnd(';', '.');
                }
                else if (started)
                {
                    break;
                }
            }

            return items;
        }

        return [];
    }

    /// <summary>An estimate when the notebook declares none: reading at 150 words a minute plus one minute per code cell, rounded up to 5 minutes.</summary>
    public static int EstimateMinutes(InteractiveDocument notebook)
    {
        var words = notebook.Elements.Where(c => c.IsMarkdown())
            .Sum(c => c.Contents.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length);
        var codeCells = notebook.Elements.Count(c => c.IsCode());
        var minutes = words / 150.0 + codeCells;
        return Math.Max(5, (int)Math.Ceiling(minutes / 5) * 5);
    }

    /// <summary>The duration as shown on the contents page, e.g. "25 min" or "≈ 15 min" for an estimate.</summary>
    public string DurationText => (MinutesEstimated ? "≈ " : "") + Minutes.ToString(CultureInfo.InvariantCulture) + " min";

    [GeneratedRegex(@"^\s{0,3}[-*]\s+(?<text>.+)$")]
    private static partial Regex Bullet();

    [GeneratedRegex(@"\s*\[✓\]\(#verdict-[A-Za-z0-9_-]+\)")]
    private static partial Regex VerdictLink();
}
