using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using AddressInUse.Display;
using Course.Runner.IO;
using Course.Runner.Notebooks;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Results;

/// <summary>What one chapter contributed to results.json in this run.</summary>
/// <param name="Chapter">The chapter name, e.g. "01-address-already-in-use".</param>
/// <param name="Succeeded">Whether every cell ran.</param>
/// <param name="Duration">How long the chapter ran.</param>
/// <param name="Failure">Why it failed, when it did.</param>
/// <param name="Cases">The measured cases, each already carrying "chapter".</param>
/// <param name="Settings">The OS settings the chapter reported.</param>
public sealed record ChapterResults(string Chapter, bool Succeeded, TimeSpan Duration, string? Failure, IReadOnlyList<JsonObject> Cases, JsonObject Settings)
{
    /// <summary>The verdicts on the chapter's own sentences, each carrying "notebook" (the chapter file's name).</summary>
    public IReadOnlyList<JsonObject> Verdicts { get; init; } = [];
}

/// <summary>Gathers measured cases and OS settings from executed chapters into images/&lt;os&gt;/results.json, keeping chapters that did not run.</summary>
public static class ResultsAggregator
{
    /// <summary>The cases in a chapter's outputs, in notebook order, each with "chapter" set; a case shown twice counts once.</summary>
    /// <param name="executed">The executed notebook.</param>
    /// <param name="chapter">The chapter name stored in each case.</param>
    /// <param name="warnings">Receives a note for each output that is not an array of objects.</param>
    public static IReadOnlyList<JsonObject> CollectCases(InteractiveDocument executed, string chapter, ICollection<string>? warnings = null) =>
        CollectObjects(executed, MimeTypes.Cases, "chapter", chapter, obj => true,
            "is not an object; ignored. Fix: emit one JSON object per case.", warnings);

    /// <summary>How many verdicts did not hold, per chapter (the verdicts' "notebook"), in merged results; chapters where all held are absent.</summary>
    public static IReadOnlyDictionary<string, int> VerdictsNotHolding(JsonObject results) => VerdictsOfKind(results, AddressInUse.Verdicts.TextVerdictKind.DoesNotHold);

    /// <summary>How many verdicts were not measured in this run, per chapter (the verdicts' "notebook"), in merged results; chapters with none are absent.</summary>
    public static IReadOnlyDictionary<string, int> VerdictsNotMeasured(JsonObject results) => VerdictsOfKind(results, AddressInUse.Verdicts.TextVerdictKind.NotMeasured);

    private static IReadOnlyDictionary<string, int> VerdictsOfKind(JsonObject results, AddressInUse.Verdicts.TextVerdictKind kind) =>
        (results["verdicts"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Where(v => v["verdict"] is JsonValue verdict && verdict.TryGetValue<string>(out var name) && name == AddressInUse.Verdicts.TextVerdict.Name(kind)
                && v["notebook"] is JsonValue notebook && notebook.TryGetValue<string>(out _))
            .GroupBy(v => v["notebook"]!.GetValue<string>())
            .ToDictionary(g => g.Key, g => g.Count());

    /// <summary>The verdicts in a chapter's outputs, in notebook order, each with "notebook" set; a verdict shown twice counts once.</summary>
    public static IReadOnlyList<JsonObject> CollectVerdicts(InteractiveDocument executed, string chapter, ICollection<string>? warnings = null) =>
        CollectObjects(executed, MimeTypes.Verdicts, "notebook", chapter, obj => obj["id"] is not null && obj["verdict"] is not null,
            "is not a verdict object with \"id\" and \"verdict\"; ignored. Fix: display a ChapterText.Check(...) result.", warnings);

    /// <summary>
    /// The JSON objects (alone or in arrays) that a chapter's outputs carry in one MIME type, in notebook order, each stamped with
    /// the chapter under <paramref name="stampKey"/>; an object shown twice (alone, then in a comparison) counts once.
    /// </summary>
    private static List<JsonObject> CollectObjects(InteractiveDocument executed, string mimeType, string stampKey, string chapter,
        Func<JsonObject, bool> isWellFormed, string malformed, ICollection<string>? warnings)
    {
        var collected = new List<JsonObject>();
        foreach (var (output, cellIndex) in MimeOutputs(executed))
        {
            if (!output.TryGetJson(mimeType, out var node))
            {
                if (output.ContainsKey(mimeType))
                {
                    warnings?.Add($"{chapter}, cell {cellIndex + 1}: {mimeType} output is not JSON; ignored. Fix: make the formatter write a JSON array of objects.");
                }

                continue;
            }

            foreach (var item in node is JsonArray array ? array.ToList() : [node])
            {
                if (item is not JsonObject obj || !isWellFormed(obj))
                {
                    warnings?.Add($"{chapter}, cell {cellIndex + 1}: a {mimeType} entry {malformed}");
                    continue;
                }

                var stamped = new JsonObject { [stampKey] = chapter };
                foreach (var (key, value) in obj)
                {
                    if (key != stampKey)
                    {
                        stamped[key] = value?.DeepClone();
                    }
                }

                if (!collected.Any(c => JsonNode.DeepEquals(c, stamped)))
                {
                    collected.Add(stamped);
                }
            }
        }

        return collected;
    }

    /// <summary>The settings objects in a chapter's outputs merged in notebook order (later keys win).</summary>
    public static JsonObject CollectSettings(InteractiveDocument executed)
    {
        var settings = new JsonObject();
        foreach (var (output, _) in MimeOutputs(executed))
        {
            if (output.TryGetJson(MimeTypes.Settings, out var node) && node is JsonObject obj)
            {
                foreach (var (key, value) in obj)
                {
                    settings[key] = value?.DeepClone();
                }
            }
        }

        return settings;
    }

    /// <summary>Collects a chapter's contribution from its run.</summary>
    public static ChapterResults FromRun(string chapter, InteractiveDocument executed, bool succeeded, TimeSpan duration, string? failure, ICollection<string>? warnings = null) =>
        new(chapter, succeeded, duration, failure, CollectCases(executed, chapter, warnings), CollectSettings(executed))
        {
            Verdicts = CollectVerdicts(executed, chapter, warnings),
        };

    /// <summary>Builds the results document: the chapters that ran replace their own statuses and cases; other chapters are kept from the existing document.</summary>
    public static JsonObject Merge(JsonObject? existing, IReadOnlyList<ChapterResults> ran, JsonObject os, DateTimeOffset generated)
    {
        var ranNames = ran.Select(r => r.Chapter).ToHashSet(StringComparer.Ordinal);

        var chapters = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal);
        if (existing?["chapters"] is JsonObject oldChapters)
        {
            foreach (var (name, value) in oldChapters.Where(p => !ranNames.Contains(p.Key)))
            {
                chapters[name] = value?.DeepClone();
            }
        }

        foreach (var r in ran)
        {
            var entry = new JsonObject
            {
                ["status"] = r.Succeeded ? "ok" : "failed",
                ["durationSeconds"] = Math.Round(r.Duration.TotalSeconds, 3),
            };
            if (r.Failure is not null)
            {
                entry["failure"] = r.Failure;
            }

            chapters[r.Chapter] = entry;
        }

        var settings = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal);
        if (existing?["settings"] is JsonObject oldSettings)
        {
            foreach (var (key, value) in oldSettings)
            {
                settings[key] = value?.DeepClone();
            }
        }

        foreach (var r in ran)
        {
            foreach (var (key, value) in r.Settings)
            {
                settings[key] = value?.DeepClone();
            }
        }

        var kept = existing?["cases"] is JsonArray oldCases
            ? oldCases.OfType<JsonObject>().Where(c => !ranNames.Contains(ChapterOf(c))).Select(c => (JsonObject)c.DeepClone())
            : [];
        var cases = kept.Concat(ran.SelectMany(r => r.Cases.Select(c => (JsonObject)c.DeepClone())))
            .Select((c, order) => (c, order))
            .OrderBy(x => ChapterOf(x.c), StringComparer.Ordinal)
            .ThenBy(x => x.order)
            .Select(x => (JsonNode?)x.c)
            .ToArray();

        var keptVerdicts = existing?["verdicts"] is JsonArray oldVerdicts
            ? oldVerdicts.OfType<JsonObject>().Where(v => !ranNames.Contains(NotebookOf(v))).Select(v => (JsonObject)v.DeepClone())
            : [];
        var verdicts = keptVerdicts.Concat(ran.SelectMany(r => r.Verdicts.Select(v => (JsonObject)v.DeepClone())))
            .Select((v, order) => (v, order))
            .OrderBy(x => NotebookOf(x.v), StringComparer.Ordinal)
            .ThenBy(x => x.order)
            .Select(x => (JsonNode?)x.v)
            .ToArray();

        return new JsonObject
        {
            ["generated"] = generated.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["os"] = os.DeepClone(),
            ["dotnet"] = RuntimeInformation.FrameworkDescription,
            ["settings"] = new JsonObject(settings),
            ["chapters"] = new JsonObject(chapters),
            ["cases"] = new JsonArray(cases),
            ["verdicts"] = new JsonArray(verdicts),
        };
    }

    /// <summary>Reads an existing results.json, or null when there is none; a damaged one is set aside (renamed "results.json.damaged-&lt;UTC time&gt;") and reported, so it never blocks a run.</summary>
    /// <param name="path">The results.json path.</param>
    /// <param name="report">Receives the message naming the damaged file, where it went and how to get the old results back.</param>
    /// <param name="now">The time used in the set-aside name (default: now).</param>
    public static JsonObject? ReadExisting(string path, Action<string>? report = null, DateTimeOffset? now = null)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        string problem;
        try
        {
            if (JsonNode.Parse(File.ReadAllText(path)) is JsonObject results)
            {
                return results;
            }

            problem = "is not a JSON object";
        }
        catch (JsonException e)
        {
            problem = $"is not valid JSON ({e.Message})";
        }

        var stamp = (now ?? DateTimeOffset.UtcNow).ToUniversalTime().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var aside = $"{path}.damaged-{stamp}";
        for (var n = 2; File.Exists(aside); n++)
        {
            aside = $"{path}.damaged-{stamp}-{n}";
        }

        File.Move(path, aside);
        report?.Invoke(
            $"warning: {path} {problem}; it was set aside as {Path.GetFileName(aside)} and this run starts a new one, "
            + "so chapters not run now have no results in it. Fix: restore the committed file (git checkout -- " + Path.GetFileName(path)
            + " in that folder) and run again, or run every chapter to rebuild it.");
        return null;
    }

    /// <summary>Writes the results document as indented JSON (creating the folder), atomically.</summary>
    public static void Write(string path, JsonObject results)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions
        {
            Indented = true,
            NewLine = "\n",
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            results.WriteTo(writer);
        }

        // A kill during the write must leave the old file whole, never a truncated or empty one.
        AtomicFile.WriteAllText(path, Encoding.UTF8.GetString(stream.ToArray()) + "\n");
    }

    private static string NotebookOf(JsonObject v) =>
        v["notebook"] is JsonValue n && n.TryGetValue<string>(out var s) ? s : "";

    private static string ChapterOf(JsonObject c) =>
        c["chapter"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    private static IEnumerable<(IDictionary<string, object> Output, int CellIndex)> MimeOutputs(InteractiveDocument notebook) =>
        notebook.Elements.SelectMany((cell, index) => cell.Outputs.MimeData().Select(data => (data, index)));
}
