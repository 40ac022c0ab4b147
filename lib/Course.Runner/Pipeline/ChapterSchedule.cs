using System.Text.Json.Nodes;
using Course.Runner.IO;

namespace Course.Runner.Pipeline;

/// <summary>
/// Decides how many chapters run at once and in which order they start: the longest first, by the durations the last
/// run recorded, so a chapter that waits out TIME_WAIT overlaps with the others instead of following them; the rest in chapter order.
/// </summary>
/// <remarks>Only the start order changes; output, results and pages stay in chapter order (see <see cref="OrderedRunReporter"/>).</remarks>
public static class ChapterSchedule
{
    /// <summary>The most chapters that run at once by default: two, or one on a single-core machine (each chapter's kernel keeps a core busy while it compiles).</summary>
    public static int DefaultJobs => Math.Clamp(Environment.ProcessorCount, 1, 2);

    /// <summary>
    /// The positions of <paramref name="chapters"/> in the order they should start: the <paramref name="jobs"/> − 1 longest by
    /// <paramref name="expectedSeconds"/> first (longest first), then every other chapter in chapter order.
    /// </summary>
    /// <remarks>
    /// The long ones (chapter 03 waits out a real TIME_WAIT) then run beside all the others, while the rest keep chapter order,
    /// so the first unfinished chapter, whose lines are the ones shown live, is nearly always one that is running.
    /// </remarks>
    public static IReadOnlyList<int> StartOrder(IReadOnlyList<Chapter> chapters, IReadOnlyDictionary<string, double> expectedSeconds, int jobs)
    {
        var first = chapters.Select((chapter, index) => (index, seconds: expectedSeconds.GetValueOrDefault(chapter.Name)))
            .Where(x => x.seconds > 0)
            .OrderByDescending(x => x.seconds)
            .ThenBy(x => x.index)
            .Take(Math.Max(0, jobs - 1))
            .Select(x => x.index)
            .ToList();
        return [.. first, .. Enumerable.Range(0, chapters.Count).Where(i => !first.Contains(i))];
    }

    /// <summary>Each chapter's duration as a results.json records it (chapters.NAME.durationSeconds); chapters without one are left out.</summary>
    public static Dictionary<string, double> DurationsFrom(JsonObject? results)
    {
        var durations = new Dictionary<string, double>(StringComparer.Ordinal);
        if (results?["chapters"] is not JsonObject chapters)
        {
            return durations;
        }

        foreach (var (name, entry) in chapters)
        {
            if (entry is JsonObject o && o["durationSeconds"] is JsonValue v && v.TryGetValue<double>(out var seconds) && double.IsFinite(seconds) && seconds >= 0)
            {
                durations[name] = seconds;
            }
        }

        return durations;
    }

    /// <summary>The file in the output folder where each run notes its chapters' durations, per set of parameters (quick and full runs take very different times).</summary>
    public const string TimesFileName = "run-times.json";

    /// <summary>"quick=true", or "" for a run without parameters: which durations a run's schedule should go by.</summary>
    public static string Signature(IReadOnlyDictionary<string, string> parameters) =>
        string.Join(",", parameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));

    /// <summary>The durations of the last run with the same parameters (from <see cref="TimesFileName"/>), falling back to results.json's.</summary>
    public static Dictionary<string, double> Expected(string outFolder, string signature, JsonObject? results)
    {
        var expected = DurationsFrom(results);
        try
        {
            var path = Path.Combine(outFolder, TimesFileName);
            if (File.Exists(path) && JsonNode.Parse(File.ReadAllText(path))?[signature] is JsonObject times)
            {
                foreach (var (name, seconds) in DurationsFrom(new JsonObject { ["chapters"] = times.DeepClone() }))
                {
                    expected[name] = seconds;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or InvalidOperationException)
        {
            // Only a hint for the start order: a damaged file means chapter order, never a failed run.
        }

        return expected;
    }

    /// <summary>Notes this run's chapter durations under its parameters' signature, keeping other signatures and chapters.</summary>
    public static void Record(string outFolder, string signature, IEnumerable<(string Chapter, TimeSpan Duration)> durations)
    {
        var path = Path.Combine(outFolder, TimesFileName);
        JsonObject all;
        try
        {
            all = File.Exists(path) && JsonNode.Parse(File.ReadAllText(path)) is JsonObject o ? o : new JsonObject();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            all = new JsonObject();
        }

        if (all[signature] is not JsonObject times)
        {
            times = new JsonObject();
            all[signature] = times;
        }

        foreach (var (chapter, duration) in durations)
        {
            times[chapter] = new JsonObject { ["durationSeconds"] = Math.Round(duration.TotalSeconds, 3) };
        }

        Directory.CreateDirectory(outFolder);
        AtomicFile.WriteAllText(path, all.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
    }
}
