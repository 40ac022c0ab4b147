using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AddressInUse.Cases;
using AddressInUse.Display;

namespace AddressInUse.Verdicts;

/// <summary>
/// Checks the outcome sentences of one chapter against measured cases: each call returns a <see cref="TextVerdict"/>
/// that the notebook displays under the paragraph it judges. See lib/AddressInUse/Verdicts/README.md.
/// </summary>
public sealed class ChapterText
{
    private readonly Func<string, IReadOnlyList<CaseRecord>?> _otherOsCases;

    /// <summary>A checker for one chapter, reading other OSes' results from images/&lt;os&gt;/results.json under <paramref name="imagesRoot"/> (found from the working directory when null).</summary>
    public ChapterText(string chapter, string? imagesRoot = null, string? currentOs = null)
    {
        if (string.IsNullOrWhiteSpace(chapter))
        {
            throw new ArgumentException("Name the chapter, e.g. new ChapterText(\"01\").", nameof(chapter));
        }

        Chapter = chapter;
        CurrentOs = currentOs ?? CourseOs.Current;
        var root = imagesRoot ?? CourseOs.ImagesRoot();
        _otherOsCases = os => root is null ? null : ReadCases(Path.Combine(root, os, "results.json"));
    }

    /// <summary>The chapter the verdicts belong to.</summary>
    public string Chapter { get; }

    /// <summary>The OS this machine's results are filed under.</summary>
    public string CurrentOs { get; }

    /// <summary>Judges a sentence that holds when every deciding case satisfies <paramref name="each"/>; the cases that do not are named.</summary>
    /// <param name="paragraph">The paragraph's id within the chapter, stable across edits.</param>
    /// <param name="sentence">The claim in one sentence.</param>
    /// <param name="evidence">The measured value(s): an outcome, a comparison, a matrix, a CaseRecord or a sequence of them.</param>
    /// <param name="each">The condition every deciding case must meet.</param>
    /// <param name="about">The OS the sentence is about ("linux", "macos", "windows"), or null for whatever OS runs it.</param>
    public TextVerdict Check(string paragraph, string sentence, object? evidence, Func<CaseRecord, bool> each, string? about = null) =>
        Judge(paragraph, sentence, evidence, about, cases =>
        {
            var failing = cases.Where(c => !each(c)).ToList();
            var shown = failing.Count == 0 ? cases : failing;
            return (failing.Count == 0, Read(shown, cs => string.Concat(cs.Select(c => Outcome(() => each(c))))));
        });

    /// <summary>Judges a sentence about the deciding cases taken together (a count, a comparison between cases).</summary>
    public TextVerdict CheckAll(string paragraph, string sentence, object? evidence, Func<IReadOnlyList<CaseRecord>, bool> all, string? about = null) =>
        Judge(paragraph, sentence, evidence, about, cases => (all(cases), Read(cases, cs => Outcome(() => all(cs)))));

    /// <summary>What a check read from the cases it judged, as the full text and as the cut text for the verdict's line.</summary>
    private static (string Full, string InLine) Read(IReadOnlyList<CaseRecord> cases, Func<IReadOnlyList<CaseRecord>, string> evaluate)
    {
        var fields = FieldsRead(cases, evaluate);
        var items = ItemsRead(cases, evaluate, fields);
        return (Describe(cases, fields), DescribeInLine(cases, fields, items, TextVerdict.MeasuredInLine));
    }

    /// <summary>Marks a sentence "not measured here" with the reason, for a run whose cases exist but cannot show the sentence (e.g. one address family only).</summary>
    /// <param name="paragraph">The paragraph's id within the chapter, stable across edits.</param>
    /// <param name="sentence">The claim in one sentence.</param>
    /// <param name="evidence">The cases that were measured but cannot decide the sentence.</param>
    /// <param name="why">What this machine lacked, in words the reader can act on.</param>
    public TextVerdict NotMeasuredHere(string paragraph, string sentence, object? evidence, string why) => new()
    {
        Chapter = Chapter, Paragraph = paragraph, Sentence = sentence, About = null,
        Kind = TextVerdictKind.NotMeasured, Measured = $"not measured here: {why}", Evidence = CasesOf(evidence).Select(IdOf).ToList(),
    };

    /// <summary>Shows several verdicts under one paragraph, one line each.</summary>
    public static TextVerdicts Together(params TextVerdict[] verdicts) => new(verdicts);

    /// <summary>Every case a displayed value carries, in order (the same cases the runner records in results.json).</summary>
    public static IReadOnlyList<CaseRecord> CasesOf(object? evidence) => evidence switch
    {
        null => [],
        CaseRecord c => [c],
        IHasCases hasCases => hasCases.Cases.ToList(),
        System.Collections.IEnumerable many and not string => many.Cast<object?>().SelectMany(CasesOf).ToList(),
        _ => throw new ArgumentException($"A {evidence.GetType().Name} carries no measured cases. Fix: pass the experiment's outcome (or its Cases).", nameof(evidence)),
    };

    /// <summary>The id a case is known by in a verdict's evidence: "scenario/case/api".</summary>
    public static string IdOf(CaseRecord c) => $"{c.Scenario}/{c.Case}/{c.Api}";

    private TextVerdict Judge(string paragraph, string sentence, object? evidence, string? about, Func<IReadOnlyList<CaseRecord>, (bool Holds, (string Full, string InLine) Measured)> judge)
    {
        var here = CasesOf(evidence);
        var ids = here.Select(IdOf).ToList();
        var verdict = new TextVerdict
        {
            Chapter = Chapter, Paragraph = paragraph, Sentence = sentence, About = about,
            Kind = TextVerdictKind.NotMeasured, Measured = "", Evidence = ids,
        };

        string measuredOn = CurrentOs;
        IReadOnlyList<CaseRecord> deciding = here;
        if (about is not null && !string.Equals(about, CurrentOs, StringComparison.OrdinalIgnoreCase))
        {
            var theirs = _otherOsCases(about);
            if (theirs is null)
            {
                return verdict with { Measured = $"the sentence is about {about}, and no images/{about}/results.json is present (this machine is {CurrentOs})", Cause = NotMeasuredCause.OtherOs };
            }

            // The same cases, as that OS recorded them.
            var wanted = ids.ToHashSet(StringComparer.Ordinal);
            deciding = theirs.Where(c => wanted.Contains(IdOf(c))).ToList();
            measuredOn = about;
        }

        if (deciding.Count == 0)
        {
            return verdict with
            {
                Measured = here.Count == 0 ? "no case was measured (the experiment was skipped or did not run)" : $"images/{about}/results.json has none of these cases",
                Cause = here.Count == 0 ? NotMeasuredCause.ThisRun : NotMeasuredCause.OtherOs,
            };
        }

        var (holds, measured) = judge(deciding);
        return verdict with
        {
            Kind = holds ? TextVerdictKind.Holds : TextVerdictKind.DoesNotHold,
            MeasuredOn = measuredOn,
            Measured = measured.Full,
            InLine = measured.InLine,
            Evidence = deciding.Select(IdOf).ToList(),
        };
    }

    /// <summary>A short description of cases: each one's outcome (and its measured counts) when there are few, a count per outcome otherwise.</summary>
    public static string Describe(IReadOnlyList<CaseRecord> cases) => Describe(cases, []);

    /// <summary>
    /// A short description of cases, as <see cref="Describe(IReadOnlyList{CaseRecord})"/>, that shows the values at
    /// <paramref name="fieldsRead"/> (paths into each case's details, e.g. ["packets", "capture_complete"]) when any are given.
    /// </summary>
    public static string Describe(IReadOnlyList<CaseRecord> cases, IReadOnlyList<string[]> fieldsRead)
    {
        static string Outcome(CaseRecord c) => c.Errno is { } n ? $"{c.Outcome} ({n})" : c.Outcome;
        // A setting read from the OS is described by what was read, not by the step that read it.
        string One(CaseRecord c) => c.Scenario == Scenarios.Settings && c.Settings?.GetValueOrDefault(c.Case) is { } value
            ? $"{c.Case} read {value}"
            : $"{c.Scenario} {c.Case} ({c.Api}): {c.Step} {Outcome(c)}{(fieldsRead.Count > 0 ? Values(c, fieldsRead) : Measurements(c))}";
        if (cases.Count <= 3)
        {
            return string.Join("; ", cases.Select(One));
        }

        var counts = cases.GroupBy(Outcome).Select(g => $"{g.Count().ToString(CultureInfo.InvariantCulture)} {g.Key}");
        var read = fieldsRead.Count == 0 ? "" : $" [check read {string.Join(", ", fieldsRead.Select(p => string.Join('.', p)))}]";
        return $"{cases.Count} cases: {string.Join(", ", counts)}{read}";
    }

    /// <summary>
    /// The details fields a check reads, found by taking each field away in turn (and then each field inside it) and
    /// seeing whether the check's result changes; the check is a plain delegate, so this is the only way to know what it read.
    /// </summary>
    /// <param name="cases">The cases the check judged.</param>
    /// <param name="evaluate">The check's result on the cases, as a string to compare ("T", "F", "X" for an exception, one per case or one in all).</param>
    public static IReadOnlyList<string[]> FieldsRead(IReadOnlyList<CaseRecord> cases, Func<IReadOnlyList<CaseRecord>, string> evaluate)
    {
        var baseline = evaluate(cases);
        var read = new List<string[]>();
        void Probe(string[] prefix)
        {
            var keys = cases.SelectMany(c => At(c.Details, prefix) is JsonObject o ? o.Select(p => p.Key) : []).Distinct(StringComparer.Ordinal).ToList();
            foreach (var key in keys.Where(k => prefix.Length > 0 || k != "port"))
            {
                string[] path = [.. prefix, key];
                if (evaluate(cases.Select(c => c with { Details = Without(c.Details, path) }).ToList()) == baseline)
                {
                    continue;
                }

                var found = read.Count;
                // Inside an object the check read, name the fields it used rather than the whole object.
                if (path.Length < 3 && cases.Any(c => At(c.Details, path) is JsonObject))
                {
                    Probe(path);
                }
                if (read.Count == found)
                {
                    read.Add(path);
                }
            }
        }

        Probe([]);
        return read;
    }

    private static string Outcome(Func<bool> check)
    {
        try
        {
            return check() ? "T" : "F";
        }
        catch (Exception)
        {
            // A check that reaches for a field taken away by FieldsRead throws (null or missing key): that too shows it read the field.
            return "X";
        }
    }

    private static JsonNode? At(JsonObject? details, IEnumerable<string> path)
    {
        JsonNode? node = details;
        foreach (var key in path)
        {
            node = node is JsonObject o ? o[key] : null;
        }

        return node;
    }

    private static JsonObject? Without(JsonObject? details, string[] path)
    {
        if (details?.DeepClone() is not JsonObject copy)
        {
            return details;
        }

        (At(copy, path[..^1]) as JsonObject)?.Remove(path[^1]);
        return copy;
    }

    /// <summary>" [packets.capture_complete true; runs 10]": the values a check read from one case, whole (the verdict's line is the one that is cut).</summary>
    private static string Values(CaseRecord c, IReadOnlyList<string[]> paths)
    {
        var values = paths
            .Select(p => (Name: string.Join('.', p), Node: At(c.Details, p)))
            .Where(v => v.Node is not null)
            .Select(v => $"{v.Name} {Plain(v.Node)}")
            .ToList();
        return values.Count == 0 ? "" : $" [{string.Join("; ", values)}]";
    }

    /// <summary>A JSON value as a reader reads it: text without quotes or escapes, an array's items with commas, an object's fields as "name value".</summary>
    private static string Plain(JsonNode? node) => node switch
    {
        null => "null",
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        JsonValue value when value.TryGetValue<double>(out var d) => d.ToString(CultureInfo.InvariantCulture),
        JsonArray array => string.Join(", ", array.Select(Plain)),
        JsonObject obj => "{" + string.Join("; ", obj.Select(p => $"{p.Key} {Plain(p.Value)}")) + "}",
        _ => node.ToJsonString(),
    };

    /// <summary>
    /// For each read path whose value is a list of text (e.g. packets.arrows), the items the check read, per case index: found
    /// by blanking one item at a time and seeing whether the check's result changes. A path is absent when no single item
    /// changes it (the check read the list as a whole, e.g. its length or the absence of an item).
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<int, IReadOnlySet<int>>> ItemsRead(
        IReadOnlyList<CaseRecord> cases, Func<IReadOnlyList<CaseRecord>, string> evaluate, IReadOnlyList<string[]> fieldsRead)
    {
        var baseline = evaluate(cases);
        var result = new Dictionary<string, IReadOnlyDictionary<int, IReadOnlySet<int>>>(StringComparer.Ordinal);
        foreach (var path in fieldsRead)
        {
            var lists = cases.Select(c => At(c.Details, path) as JsonArray).ToList();
            // Blanking probes every item of every case; a bound keeps a check over hundreds of long lists cheap.
            if (lists.All(l => l is null) || lists.Sum(l => l?.Count ?? 0) > 400 || lists.Any(l => l is not null && l.Any(i => i is not JsonValue v || !v.TryGetValue<string>(out _))))
            {
                continue;
            }

            var perCase = new Dictionary<int, IReadOnlySet<int>>();
            for (var c = 0; c < cases.Count; c++)
            {
                var read = new HashSet<int>();
                for (var i = 0; i < (lists[c]?.Count ?? 0); i++)
                {
                    var changed = cases.Select((k, n) => n == c ? k with { Details = Blank(k.Details, path, i) } : k).ToList();
                    if (evaluate(changed) != baseline)
                    {
                        read.Add(i);
                    }
                }
                if (read.Count > 0)
                {
                    perCase[c] = read;
                }
            }
            if (perCase.Count > 0)
            {
                result[string.Join('.', path)] = perCase;
            }
        }

        return result;
    }

    private static JsonObject? Blank(JsonObject? details, string[] path, int index)
    {
        var copy = (JsonObject)details!.DeepClone();
        ((JsonArray)At(copy, path)!)[index] = "";
        return copy;
    }

    /// <summary>
    /// The description of cases for a verdict's one line, at most <paramref name="length"/> characters: cut only between
    /// fields ("; +2 more fields"), between list items, or between cases, never inside a value; the fields the check read come
    /// first, and of a list the check read item by item, those items.
    /// </summary>
    public static string DescribeInLine(IReadOnlyList<CaseRecord> cases, IReadOnlyList<string[]> fieldsRead,
        IReadOnlyDictionary<string, IReadOnlyDictionary<int, IReadOnlySet<int>>>? itemsRead, int length)
    {
        static string Outcome(CaseRecord c) => c.Errno is { } n ? $"{c.Outcome} ({n})" : c.Outcome;
        if (cases.Count > 3)
        {
            var counts = cases.GroupBy(Outcome).Select(g => $"{g.Count().ToString(CultureInfo.InvariantCulture)} {g.Key}");
            return Fit([$"{cases.Count} cases: {string.Join(", ", counts)}"],
                fieldsRead.Select(p => string.Join('.', p)).ToList(), length, " [check read ", ", ", "]", "name");
        }

        string Text(int n, int room)
        {
            var c = cases[n];
            if (c.Scenario == Scenarios.Settings && c.Settings?.GetValueOrDefault(c.Case) is { } value)
            {
                return $"{c.Case} read {value}";
            }

            var head = $"{c.Scenario} {c.Case} ({c.Api}): {c.Step} {Outcome(c)}";
            var fields = fieldsRead.Count > 0
                ? fieldsRead.Select(p => (Name: string.Join('.', p), Node: At(c.Details, p))).Where(f => f.Node is not null).ToList()
                : (c.Details ?? []).Where(p => p.Key != "port" && p.Value is JsonValue).Select(p => (Name: p.Key, Node: p.Value)).ToList();
            // Short fields first, so one long list cut between its items does not push the others out of the line.
            var ordered = fields.Select(f => (f.Name, Node: f.Node!, Read: itemsRead?.GetValueOrDefault(f.Name)?.GetValueOrDefault(n)))
                .OrderBy(f => f.Node is JsonValue ? 0 : 1).ToList();
            return head + FitFields(ordered, room - head.Length);
        }

        // Each case gets an even share of the line, and a case that needs less leaves the rest to the others.
        var full = Enumerable.Range(0, cases.Count).Select(n => Text(n, int.MaxValue / 2).Length).ToList();
        var rooms = new int[cases.Count];
        var left = length - 2 * (cases.Count - 1);
        foreach (var n in Enumerable.Range(0, cases.Count).OrderBy(n => full[n]))
        {
            var others = cases.Count - rooms.Count(r => r > 0);
            rooms[n] = Math.Min(full[n], left / others);
            left -= rooms[n];
        }

        var parts = new List<string>();
        var budget = length;
        for (var n = 0; n < cases.Count; n++)
        {
            var separator = n == 0 ? 0 : 2;
            var text = Text(n, rooms[n]);
            if (separator + text.Length > budget)
            {
                parts.Add($"+{cases.Count - n} more case{(cases.Count - n == 1 ? "" : "s")}");
                break;
            }
            parts.Add(text);
            budget -= separator + text.Length;
        }

        return string.Join("; ", parts);
    }

    /// <summary>" [name value; name value; +2 more fields]" in at most <paramref name="room"/> characters (at least the first field's name and first item).</summary>
    private static string FitFields(IReadOnlyList<(string Name, JsonNode Node, IReadOnlySet<int>? Read)> fields, int room)
    {
        if (fields.Count == 0)
        {
            return "";
        }

        var shown = new List<string>();
        var used = " [".Length + "]".Length;
        var skipped = 0;
        for (var i = 0; i < fields.Count; i++)
        {
            var whole = $"{fields[i].Name} {Plain(fields[i].Node)}";
            var separator = shown.Count == 0 ? 0 : 2;
            // Room for "; +N more fields" is kept unless every field from here on fits whole.
            var rest = fields.Skip(i + 1).Sum(f => 2 + f.Name.Length + 1 + Plain(f.Node).Length);
            var more = skipped > 0 || (i + 1 < fields.Count && used + separator + whole.Length + rest > room) ? $"; +{fields.Count} more fields".Length : 0;
            if (used + separator + whole.Length + more <= room && fields[i].Read is null)
            {
                shown.Add(whole);
                used += separator + whole.Length;
                continue;
            }

            // A list or object is cut between its items, and shows the items the check read when that is known.
            if (fields[i].Node is JsonArray or JsonObject)
            {
                var items = fields[i].Node is JsonArray array
                    ? array.Select(Plain).ToList()
                    : ((JsonObject)fields[i].Node).Select(p => $"{p.Key} {Plain(p.Value)}").ToList();
                var (open, close, join) = fields[i].Node is JsonArray ? ("", "", ", ") : ("{", "}", "; ");
                var listRoom = room - used - separator - fields[i].Name.Length - 1 - more;
                var list = Items(items, fields[i].Read, listRoom, open, join, close);
                if (list is not null)
                {
                    shown.Add($"{fields[i].Name} {list}");
                    used += separator + fields[i].Name.Length + 1 + list.Length;
                    continue;
                }
            }

            // A field that does not fit whole is left out (a later, shorter one may still fit) and counted.
            skipped++;
        }
        if (skipped > 0)
        {
            shown.Add($"+{skipped} more field{(skipped == 1 ? "" : "s")}");
        }

        return $" [{string.Join("; ", shown)}]";
    }

    /// <summary>
    /// A list's items in at most <paramref name="room"/> characters: the items the check read (with "…" for the ones between),
    /// or the first items and "… +N more"; null when not even one item fits.
    /// </summary>
    private static string? Items(IReadOnlyList<string> items, IReadOnlySet<int>? read, int room, string open, string join, string close)
    {
        // A list read item by item in full is shown as a plain list.
        read = read?.Count == items.Count ? null : read;
        var wanted = read is { Count: > 0 } ? read.Order().ToList() : Enumerable.Range(0, items.Count).ToList();
        var pieces = new List<string>();
        var previous = -1;
        var length = open.Length + close.Length;
        foreach (var i in wanted)
        {
            var piece = (i > previous + 1 ? "… " : "") + items[i];
            var rest = wanted.Count - pieces.Count - 1;
            var tail = read is { Count: > 0 } ? $" ({wanted.Count} of {items.Count} read)".Length : (rest > 0 ? $"{join}… +{rest} more".Length : 0);
            if (length + (pieces.Count == 0 ? 0 : join.Length) + piece.Length + tail > room)
            {
                break;
            }
            pieces.Add(piece);
            length += (pieces.Count == 1 ? 0 : join.Length) + piece.Length;
            previous = i;
        }
        if (pieces.Count == 0)
        {
            return null;
        }

        var left = wanted.Count - pieces.Count;
        var end = left > 0 ? $"{join}… +{left} more" : previous < items.Count - 1 && read is { Count: > 0 } ? " …" : "";
        var note = read is { Count: > 0 } && left == 0 ? $" ({wanted.Count} of {items.Count} read)" : "";
        return open + string.Join(join, pieces) + end + close + note;
    }

    /// <summary>"start [a, b, +2 more names]": as many items as fit in <paramref name="length"/>, cut only between items.</summary>
    private static string Fit(IReadOnlyList<string> start, IReadOnlyList<string> items, int length, string open, string join, string close, string noun)
    {
        var text = string.Concat(start);
        if (items.Count == 0)
        {
            return text;
        }

        var list = Items(items, null, length - text.Length - open.Length, "", join, "");
        return list is null ? text + $" [+{items.Count} {noun}s read]" : text + open + list + close;
    }

    /// <summary>The text cut at the last space before <paramref name="length"/> characters, and "…": never inside a word or a number.</summary>
    public static string CutAtWord(string text, int length)
    {
        if (text.Length <= length)
        {
            return text;
        }

        var space = text.LastIndexOf(' ', length - 2);
        return (space > 0 ? text[..space] : text[..(length - 1)]) + " …";
    }

    /// <summary>The text, or its first <paramref name="length"/> characters and "…".</summary>
    public static string Cut(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";

    /// <summary>" [server_time_wait 100; peer_saw ECONNRESET]": a case's plain measured values, so a verdict line shows the numbers it judged; empty when it has none.</summary>
    private static string Measurements(CaseRecord c)
    {
        // Only plain values: nested objects (steps, shares) are the table's job, and the port is a fresh one every run.
        var values = (c.Details ?? [])
            .Where(p => p.Key != "port" && p.Value is JsonValue)
            .Take(8)
            .Select(p => $"{p.Key} {(p.Value is JsonValue v && v.TryGetValue<double>(out var d) ? d.ToString(CultureInfo.InvariantCulture) : p.Value!.ToString())}")
            .ToList();
        return values.Count == 0 ? "" : $" [{string.Join("; ", values)}]";
    }

    private static IReadOnlyList<CaseRecord>? ReadCases(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return (JsonNode.Parse(File.ReadAllText(path))?["cases"] as JsonArray ?? [])
                .OfType<JsonObject>()
                .Select(c => c.Deserialize<CaseRecord>(CaseRecord.JsonOptions))
                .OfType<CaseRecord>()
                .ToList();
        }
        catch (JsonException)
        {
            // An unreadable file decides nothing; the compare page reports it.
            return null;
        }
    }
}
