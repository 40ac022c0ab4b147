using System.Text.Json.Nodes;
using AddressInUse.Cases;
using AddressInUse.Display;

namespace AddressInUse.Verdicts;

/// <summary>What the measured cases say about one sentence of the course's own text.</summary>
public enum TextVerdictKind
{
    /// <summary>Every deciding case agrees with the sentence.</summary>
    Holds,
    /// <summary>A deciding case contradicts the sentence.</summary>
    DoesNotHold,
    /// <summary>No case that could decide it was measured on the OS the sentence is about.</summary>
    NotMeasured,
}

/// <summary>Why a sentence was not measured, which words its line.</summary>
public enum NotMeasuredCause
{
    /// <summary>This run could not show it (chance, a skipped experiment, a missing part of this machine).</summary>
    ThisRun,
    /// <summary>The sentence is about another OS, and that OS's results are not present.</summary>
    OtherOs,
}

/// <summary>
/// Verdicts shown under a paragraph: HTML for the reader, and application/vnd.course.verdicts+json, which the course runner
/// gathers into images/&lt;os&gt;/results.json. The one place that names the formatter source for them.
/// </summary>
[TypeFormatterSource(typeof(CourseFormatterSource), PreferredMimeTypes = [MimeTypes.Html, MimeTypes.Verdicts])]
public abstract record VerdictDisplay : HtmlResult, IDisplayable
{
    /// <summary>The verdicts as JSON (the application/vnd.course.verdicts+json payload).</summary>
    public abstract string ToJson();

    /// <inheritdoc />
    public string? Format(string mimeType) => mimeType switch
    {
        MimeTypes.Html => ToHtml(),
        MimeTypes.Verdicts => ToJson(),
        MimeTypes.Text => ToString(),
        _ => null,
    };
}

/// <summary>
/// The verdict on one outcome sentence of a chapter, computed from measured cases: it displays itself as one line
/// under the paragraph (HTML and plain text) and as application/vnd.course.verdicts+json, which the course runner
/// gathers into images/&lt;os&gt;/results.json.
/// </summary>
public sealed record TextVerdict : VerdictDisplay
{
    /// <summary>The stable id: "&lt;chapter&gt;/&lt;paragraph&gt;", e.g. "01/observe-no-options".</summary>
    public string Id => $"{Chapter}/{Paragraph}";

    /// <summary>The chapter's number or name as the notebook gives it, e.g. "01".</summary>
    public required string Chapter { get; init; }

    /// <summary>The paragraph's id within the chapter, e.g. "observe-no-options".</summary>
    public required string Paragraph { get; init; }

    /// <summary>The claim the paragraph makes, in one sentence.</summary>
    public required string Sentence { get; init; }

    /// <summary>The OS the sentence is about ("linux", "macos", "windows"), or null when it is about whatever OS runs it.</summary>
    public string? About { get; init; }

    /// <summary>The OS whose cases decided it ("linux", "macos", "windows", "wine"), or null when none did.</summary>
    public string? MeasuredOn { get; init; }

    /// <summary>The verdict.</summary>
    public required TextVerdictKind Kind { get; init; }

    /// <summary>The verdict's name in results.json: "holds", "does_not_hold" or "not_measured".</summary>
    public string VerdictName => Name(Kind);

    /// <summary>What was measured, or why nothing was, in one line.</summary>
    public required string Measured { get; init; }

    /// <summary>What was measured as the line shows it: cut between fields, never inside a value; null to cut <see cref="Measured"/> between words.</summary>
    public string? InLine { get; init; }

    /// <summary>Why a verdict is not measured: this run could not show it, or the sentence is about another OS whose results are absent.</summary>
    public NotMeasuredCause Cause { get; init; } = NotMeasuredCause.ThisRun;

    /// <summary>The ids ("scenario/case/api") of the cases the verdict rests on.</summary>
    public required IReadOnlyList<string> Evidence { get; init; }

    /// <summary>The results.json name of a verdict kind.</summary>
    public static string Name(TextVerdictKind kind) => kind switch
    {
        TextVerdictKind.Holds => "holds",
        TextVerdictKind.DoesNotHold => "does_not_hold",
        _ => "not_measured",
    };

    /// <summary>The verdict as the one line shown under its paragraph: its state, the sentence it judges, and what was measured (cut to one line; <see cref="Measured"/> has it all).</summary>
    public string Line => Kind switch
    {
        TextVerdictKind.Holds => $"✔ holds on this machine ({MeasuredOn}): \"{Sentence}\" — measured {Shown}",
        TextVerdictKind.DoesNotHold => $"✘ does not hold here ({MeasuredOn}): \"{Sentence}\" — measured {Shown}",
        // Worded by cause: "on this OS" would tell a reader their OS cannot do what this run merely did not happen to show.
        _ when Cause == NotMeasuredCause.OtherOs => $"○ not measured on this OS: \"{Sentence}\" — {Shown}",
        _ => $"○ not measured in this run: \"{Sentence}\" — {Shown}",
    };

    private string Shown => InLine ?? ChapterText.CutAtWord(Measured, MeasuredInLine);

    /// <summary>How much of <see cref="Measured"/> the line shows; the tooltip and results.json keep the rest.</summary>
    public const int MeasuredInLine = 300;

    /// <summary>The line, coloured by verdict, with the sentence and evidence in its tooltip.</summary>
    public override string ToHtml()
    {
        var (colour, background) = Kind switch
        {
            TextVerdictKind.Holds => ("#1b5e20", "#e8f5e9"),
            TextVerdictKind.DoesNotHold => ("#b71c1c", "#ffebee"),
            _ => ("#555", "#f3f3f3"),
        };
        var title = $"{Id}: measured {Measured} — evidence: {(Evidence.Count == 0 ? "none" : string.Join(", ", Evidence))}";
        // id="verdict-<paragraph>" is the target of the [✓](#verdict-<paragraph>) link that binds a sentence of the chapter's text to this line.
        return $"<div id=\"verdict-{Html.E(Paragraph)}\" class=\"course-verdict verdict-{VerdictName.Replace('_', '-')}\" data-verdict-id=\"{Html.E(Id)}\" title=\"{Html.E(title)}\" " +
               $"style=\"font-size:13px;color:{colour};background:{background};border-left:4px solid {colour};padding:2px 8px;margin:2px 0\">{Html.E(Line)}</div>";
    }

    /// <summary>The verdict as a JSON object (the application/vnd.course.verdicts+json payload).</summary>
    public override string ToJson()
    {
        var json = new JsonObject
        {
            ["id"] = Id,
            ["chapter"] = Chapter,
            ["paragraph"] = Paragraph,
            ["sentence"] = Sentence,
            ["verdict"] = VerdictName,
            ["measured"] = Measured,
            ["evidence"] = new JsonArray(Evidence.Select(e => (JsonNode?)JsonValue.Create(e)).ToArray()),
        };
        if (About is not null)
        {
            json["about"] = About;
        }
        if (MeasuredOn is not null)
        {
            json["measuredOn"] = MeasuredOn;
        }
        return json.ToJsonString(CaseRecord.JsonOptions);
    }

    /// <summary>The one line and the verdict's id.</summary>
    public override string ToString() => $"{Line}  [{Id}]";
}

/// <summary>Several verdicts shown together under one paragraph (e.g. one sentence per OS), one line each.</summary>
/// <param name="Items">The verdicts, in the paragraph's order.</param>
public sealed record TextVerdicts(IReadOnlyList<TextVerdict> Items) : VerdictDisplay
{
    /// <summary>Every line's HTML, in order.</summary>
    public override string ToHtml() => string.Concat(Items.Select(v => v.ToHtml()));

    /// <summary>The verdicts as a JSON array (the application/vnd.course.verdicts+json payload).</summary>
    public override string ToJson() => "[" + string.Join(",", Items.Select(v => v.ToJson())) + "]";

    /// <summary>One line per verdict.</summary>
    public override string ToString() => string.Join(Environment.NewLine, Items.Select(v => v.ToString()));
}
