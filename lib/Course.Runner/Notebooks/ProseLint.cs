using System.Text.RegularExpressions;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Notebooks;

/// <summary>How a sentence of a chapter's markdown is accounted for (see lib/AddressInUse/Verdicts/README.md, "Binding every sentence").</summary>
public enum SentenceBinding
{
    /// <summary>States nothing that needs evidence: no outcome word beside an errno, state, OS, option or setting name.</summary>
    None,

    /// <summary>Links to a verdict of the same chapter: <c>[✓](#verdict-ID)</c>, where ID is the paragraph id of a <c>text.Check</c>/<c>text.CheckAll</c> call.</summary>
    Measured,

    /// <summary>Links to a source: the kernel's code or documentation, an RFC, a Microsoft or .NET runtime page, a man page.</summary>
    Cited,

    /// <summary>Says "not measured here".</summary>
    NotMeasured,

    /// <summary>States an outcome and has none of the three bindings: a lint error.</summary>
    Unbound,
}

/// <summary>One sentence of a chapter's markdown, where it is, and how it is bound.</summary>
public sealed record ProseSentence(string Location, string Text, SentenceBinding Binding, string? Problem = null)
{
    /// <summary>Whether the sentence links to a source (<see cref="ProseLint.SourcePrefixes"/>), whatever else binds it: a sentence can be both measured and cited.</summary>
    public bool CitesSource => ProseLint.CitesSource(Text);

    /// <summary>"error: cell 5 (id x): unbound outcome sentence: "…". Fix: …".</summary>
    public override string ToString() =>
        $"error: {Location}: {Problem ?? "unbound outcome sentence"}: \"{Text}\". Fix: end it with [✓](#verdict-ID) for a verdict of this chapter, a short link to its source, or \"(not measured here)\"";
}

/// <summary>What <see cref="ProseLint.Check"/> found in one chapter.</summary>
public sealed record ProseReport(IReadOnlyList<ProseSentence> Sentences)
{
    /// <summary>Sentences bound to a verdict of the chapter.</summary>
    public int Measured => Count(SentenceBinding.Measured);

    /// <summary>Sentences that link to a source, including those also bound to a verdict (so a sentence may count as measured and as cited).</summary>
    public int Cited => Sentences.Count(s => s.Binding != SentenceBinding.Unbound && s.CitesSource);

    /// <summary>Sentences marked "not measured here".</summary>
    public int NotMeasured => Count(SentenceBinding.NotMeasured);

    /// <summary>Outcome sentences with no binding (each one a lint error).</summary>
    public IReadOnlyList<ProseSentence> Unbound => Sentences.Where(s => s.Binding == SentenceBinding.Unbound).ToList();

    /// <summary>"12 measured, 3 cited, 2 not measured here, 0 unbound" (a sentence both measured and cited counts in both).</summary>
    public string CountsText => $"{Measured} measured, {Cited} cited, {NotMeasured} not measured here, {Unbound.Count} unbound";

    private int Count(SentenceBinding binding) => Sentences.Count(s => s.Binding == binding);
}

/// <summary>
/// Finds the outcome sentences of a chapter's markdown that are not accounted for: a sentence that names an errno, a TCP
/// state, an OS, a socket option or a setting beside an outcome word (succeeds, fails, cannot, never, always, only, lasts…)
/// must link to a verdict of the chapter, cite a source, or say "not measured here".
/// </summary>
public static partial class ProseLint
{
    /// <summary>The hosts (and path prefixes) a citation may link to: the Linux source and docs, RFCs, Microsoft's docs, the .NET runtime, man pages.</summary>
    public static readonly IReadOnlyList<string> SourcePrefixes =
    [
        "elixir.bootlin.com/linux/", "github.com/torvalds/linux/", "git.kernel.org/", "docs.kernel.org/", "www.kernel.org/doc/",
        "www.rfc-editor.org/", "datatracker.ietf.org/", "learn.microsoft.com/", "github.com/dotnet/runtime/", "man7.org/",
    ];

    /// <summary>The phrase that marks a sentence about something the course does not measure.</summary>
    public const string NotMeasuredPhrase = "not measured here";

    /// <summary>Classifies every sentence of the notebook's markdown (the generated navigation cell excepted).</summary>
    public static ProseReport Check(InteractiveDocument notebook)
    {
        var verdicts = notebook.Elements.Where(c => c.IsCode())
            .SelectMany(c => VerdictCall().Matches(c.Contents).Select(m => m.Groups[1].Value))
            .ToHashSet(StringComparer.Ordinal);
        var sentences = new List<ProseSentence>();
        for (var i = 0; i < notebook.Elements.Count; i++)
        {
            var cell = notebook.Elements[i];
            if (!cell.IsMarkdown() || NavigationCell.IsNavigation(cell))
            {
                continue;
            }

            foreach (var (line, sentence) in SentencesOf(cell.Contents))
            {
                sentences.Add(Classify($"{cell.Describe(i)} line {line}", sentence, verdicts));
            }
        }

        return new ProseReport(sentences);
    }

    /// <summary>Classifies one sentence against the verdict ids of its chapter.</summary>
    public static ProseSentence Classify(string location, string sentence, IReadOnlySet<string> verdictIds)
    {
        var verdictLinks = VerdictLink().Matches(sentence).Select(m => m.Groups[1].Value).ToList();
        var missing = verdictLinks.Where(id => !verdictIds.Contains(id)).ToList();
        if (missing.Count > 0)
        {
            return new(location, sentence, SentenceBinding.Unbound, $"links to verdict '{string.Join("', '", missing)}', which no text.Check or text.CheckAll of this chapter has");
        }

        if (verdictLinks.Count > 0)
        {
            return new(location, sentence, SentenceBinding.Measured);
        }

        if (CitesSource(sentence))
        {
            return new(location, sentence, SentenceBinding.Cited);
        }

        if (sentence.Contains(NotMeasuredPhrase, StringComparison.OrdinalIgnoreCase))
        {
            return new(location, sentence, SentenceBinding.NotMeasured);
        }

        return new(location, sentence, NeedsBinding(sentence) ? SentenceBinding.Unbound : SentenceBinding.None);
    }

    /// <summary>Whether a sentence links to a source: a markdown link whose address starts with one of <see cref="SourcePrefixes"/>.</summary>
    public static bool CitesSource(string sentence) =>
        Links().Matches(sentence).Any(m => SourcePrefixes.Any(p => m.Groups[1].Value.StartsWith(p, StringComparison.OrdinalIgnoreCase)));

    /// <summary>Whether a sentence states an outcome: a subject (errno, TCP state, OS, option or setting name) beside an outcome word, and it is not a question.</summary>
    public static bool NeedsBinding(string sentence)
    {
        // Link targets are not prose: a URL may contain tcp_... or "fails".
        var prose = LinkTarget().Replace(sentence, "");
        var trimmed = prose.TrimEnd(' ', ')', '*', '_', '"');
        if (trimmed.EndsWith('?'))
        {
            return false;
        }

        return Subject().IsMatch(prose) && OutcomeWord().IsMatch(prose);
    }

    /// <summary>The sentences of a markdown cell with their 1-based line numbers: one per line (the course's style), split further at a sentence end; headings, fenced code, comments and table rules are skipped.</summary>
    public static IEnumerable<(int Line, string Sentence)> SentencesOf(string markdown)
    {
        var inFence = false;
        var inMap = false;
        var lines = markdown.Replace("\r", "").Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            // A generated chapter map repeats other chapters' objectives, which are checked in their own chapters.
            if (line.StartsWith("<!-- chapters:", StringComparison.Ordinal) || line.StartsWith("<!-- /chapters", StringComparison.Ordinal))
            {
                inMap = line.StartsWith("<!-- chapters:", StringComparison.Ordinal);
                continue;
            }

            if (inMap)
            {
                continue;
            }

            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                inFence = !inFence;
                continue;
            }

            // A blockquote quotes a claim under test (a seed article's words); the verdict that judges it follows, so it is not the course's own claim.
            if (inFence || line.Length == 0 || line.StartsWith('#') || line.StartsWith('>') || line.StartsWith("<!--", StringComparison.Ordinal)
                || TableRule().IsMatch(line) || line.StartsWith("![", StringComparison.Ordinal))
            {
                continue;
            }

            var sentences = new List<string>();
            foreach (var piece in SentenceEnd().Split(line).Select(p => p.Trim()).Where(p => p.Length > 0))
            {
                // "… fails. [✓](#verdict-x)": a binding written after the full stop belongs to the sentence before it.
                if (sentences.Count > 0 && piece.StartsWith("[✓]", StringComparison.Ordinal))
                {
                    sentences[^1] += " " + piece;
                }
                else
                {
                    sentences.Add(piece);
                }
            }

            foreach (var sentence in sentences)
            {
                yield return (i + 1, sentence);
            }
        }
    }

    // text.Check("paragraph-id", … and text.CheckAll("paragraph-id", …
    [GeneratedRegex(@"\bCheck(?:All)?\(\s*""([A-Za-z0-9_-]+)""")]
    private static partial Regex VerdictCall();

    [GeneratedRegex(@"\]\(#verdict-([A-Za-z0-9_-]+)\)")]
    private static partial Regex VerdictLink();

    [GeneratedRegex(@"\]\(https?://([^)\s]+)\)")]
    private static partial Regex Links();

    [GeneratedRegex(@"\]\([^)\s]+\)")]
    private static partial Regex LinkTarget();

    // A sentence ends at . ! or ? (or after its binding link) followed by a space and a capital, a code span, emphasis or a link.
    [GeneratedRegex(@"(?:(?<=[.!?])|(?<=\]\(#verdict-[A-Za-z0-9_-]+\)))\s+(?=[A-Z`*_\[(""])")]
    private static partial Regex SentenceEnd();

    [GeneratedRegex(@"^\|?\s*:?-{3,}")]
    private static partial Regex TableRule();

    [GeneratedRegex(@"\b(?:E[A-Z]{4,}|WSAE[A-Z]+|ESTABLISHED|LISTEN|SYN_SENT|SYN_RECV|FIN_WAIT_[12]|CLOSE_WAIT|CLOSING|LAST_ACK|TIME_WAIT|TIME-WAIT|Linux|macOS|Windows|FreeBSD|BSD|Unix|Wine|(?:SO|TCP|IP|IPV6)_[A-Z0-9_]+|ReuseAddress|ExclusiveAddressUse|LingerState|DualMode|tcp_[a-z0-9_]+|ip_local_[a-z_]+|net\.(?:ipv4|ipv6|inet|core)\.[a-z0-9_.]+|TcpTimedWaitDelay|RST|FIN)\b")]
    private static partial Regex Subject();

    [GeneratedRegex(@"\b(?:succeed(?:s|ed)?|fail(?:s|ed)?|cannot|can't|never|always|only|lasts|lasted|lives?|lived|refuse[sd]?|rejects?|rejected|blocks?|blocked|allows?|allowed|prevents?|every)\b", RegexOptions.IgnoreCase)]
    private static partial Regex OutcomeWord();
}
