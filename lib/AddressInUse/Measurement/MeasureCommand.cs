using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using AddressInUse.Native;
using AddressInUse.Observation;
using AddressInUse.Cases;

namespace AddressInUse.Measurement;

/// <summary>The options of "AddressInUse measure".</summary>
/// <param name="Chapters">The chapters to measure ("01", "05", "10"); empty for all that <see cref="ChapterMeasurements"/> knows.</param>
/// <param name="Quick">Fewer probes per target, as the runner's --quick.</param>
/// <param name="Out">Where the results document is written.</param>
/// <param name="CallTimeout">How long one experiment call may take before it is recorded as hung.</param>
public sealed record MeasureOptions(IReadOnlyList<string> Chapters, bool Quick, string Out, TimeSpan CallTimeout)
{
    /// <summary>The usage line.</summary>
    public const string Usage = "AddressInUse measure [--chapter NN ...] [--quick] [--call-timeout S] --out results.json";

    /// <summary>Parses the arguments after the word measure; bad input is an ArgumentException naming the fix.</summary>
    public static MeasureOptions Parse(IReadOnlyList<string> args)
    {
        var chapters = new List<string>();
        var quick = false;
        string? output = null;
        var timeout = TimeSpan.FromSeconds(300);
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--chapter" when i + 1 < args.Count:
                    chapters.AddRange(args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    break;
                case "--call-timeout" when i + 1 < args.Count:
                    timeout = double.TryParse(args[++i], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
                        ? TimeSpan.FromSeconds(seconds)
                        : throw new ArgumentException($"measure: --call-timeout takes a positive number of seconds, not '{args[i]}'.");
                    break;
                case "--out" when i + 1 < args.Count:
                    output = args[++i];
                    break;
                default:
                    throw new ArgumentException($"measure: unexpected '{args[i]}'. Usage: {Usage}");
            }
        }
        return new MeasureOptions(chapters, quick, output ?? throw new ArgumentException($"measure: --out is required. Usage: {Usage}"), timeout);
    }
}

/// <summary>
/// The library's measurement entry point: runs the chapters' experiment calls without a notebook kernel and writes
/// their cases in the results.json schema; under Wine the file and its "os" say it is an emulation, not Windows.
/// </summary>
public static class MeasureCommand
{
    /// <summary>Runs the measure verb: 0 when every chapter ran, 1 when one failed (it is recorded), 2 for bad arguments.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter progress)
    {
        MeasureOptions options;
        IReadOnlyList<ChapterPlan> plans;
        try
        {
            options = MeasureOptions.Parse(args);
            plans = ChapterMeasurements.Select(options.Chapters);
        }
        catch (ArgumentException e)
        {
            await progress.WriteLineAsync(e.Message).ConfigureAwait(false);
            return 2;
        }

        var results = await MeasureAsync(plans, options.Quick, progress, options.CallTimeout).ConfigureAwait(false);
        var path = Path.GetFullPath(options.Out);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n").ConfigureAwait(false);
        await progress.WriteLineAsync($"measure: wrote {path}").ConfigureAwait(false);
        var ok = results["chapters"]!.AsObject().All(c => c.Value?["status"]?.GetValue<string>() == "ok");
        if (results["chapters"]!.AsObject().Any(c => c.Value?["status"]?.GetValue<string>() == "hung"))
        {
            // A hung call still blocks a thread: exit now (the exit hooks, Child.ExitHooks, kill the child servers) rather than wait for it.
            await progress.FlushAsync().ConfigureAwait(false);
            Environment.Exit(1);
        }
        return ok ? 0 : 1;
    }

    /// <summary>Runs the plans and returns the results document; a call that throws fails its chapter (recorded), never the run.</summary>
    public static async Task<JsonObject> MeasureAsync(IReadOnlyList<ChapterPlan> plans, bool quick, TextWriter progress, TimeSpan? callTimeout = null, CancellationToken cancellationToken = default)
    {
        var context = new ChapterRunContext(quick, cancellationToken);
        var chapters = new JsonObject();
        var cases = new JsonArray();
        var environment = EnvironmentReport.Read();
        foreach (var plan in plans)
        {
            var watch = Stopwatch.StartNew();
            string? failure = null;
            var hung = false;
            var chapterCases = new List<CaseRecord>();
            foreach (var call in plan.Calls)
            {
                await progress.WriteLineAsync($"  [{plan.Chapter}] {call.Name} ...").ConfigureAwait(false);
                Task<IReadOnlyList<CaseRecord>>? running = null;
                try
                {
                    running = call.Run(context);
                    chapterCases.AddRange(await running.WaitAsync(callTimeout ?? Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false));
                }
                // Only WaitAsync's own timeout, with the call still running, is a hang: a TimeoutException the call threw
                // (a state wait that gave up) is its failure, with its message (measured: under Wine a 5 s holder wait was once recorded as hung).
                catch (TimeoutException) when (running is { IsCompleted: false })
                {
                    hung = true;
                    failure = $"{call.Name} ({call.NotebookCall}) did not finish within {callTimeout!.Value.TotalSeconds:0} s: it hangs on this OS";
                    await progress.WriteLineAsync($"  [{plan.Chapter}] HUNG: {failure}").ConfigureAwait(false);
                    break;
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    failure = $"{call.Name} ({call.NotebookCall}) threw {e.GetType().Name}: {e.Message}";
                    await progress.WriteLineAsync($"  [{plan.Chapter}] FAILED: {e}").ConfigureAwait(false);
                    break;
                }
            }
            var entry = new JsonObject { ["status"] = failure is null ? "ok" : hung ? "hung" : "failed", ["durationSeconds"] = Math.Round(watch.Elapsed.TotalSeconds, 3) };
            if (failure is not null)
            {
                entry["failure"] = failure;
            }
            chapters[plan.Chapter] = entry;
            if (hung)
            {
                // The hung call's sockets and threads are still in use: later chapters would measure a disturbed machine.
                foreach (var rest in plans.SkipWhile(p => p != plan).Skip(1))
                {
                    chapters[rest.Chapter] = new JsonObject { ["status"] = "not_run", ["failure"] = $"not run: {plan.Chapter} hung" };
                }
            }
            foreach (var record in chapterCases)
            {
                var json = JsonSerializer.SerializeToNode(record, CaseRecord.JsonOptions)!.AsObject();
                var withChapter = new JsonObject { ["chapter"] = plan.Chapter };
                foreach (var (key, value) in json)
                {
                    withChapter[key] = value?.DeepClone();
                }
                // A case measured twice (the matrix shared by 05 and 10 is filed once per chapter) counts once.
                if (!cases.Any(c => JsonNode.DeepEquals(c, withChapter)))
                {
                    cases.Add(withChapter);
                }
            }
            if (hung)
            {
                break;
            }
        }

        var document = new JsonObject
        {
            ["generated"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        };
        if (WineHost.Label is { } label)
        {
            document["emulation"] = label;
        }
        document["os"] = DescribeOs(environment);
        document["dotnet"] = RuntimeInformation.FrameworkDescription;
        document["mode"] = quick ? "quick" : "full";
        document["settings"] = JsonNode.Parse(environment.SettingsJson());
        document["chapters"] = chapters;
        document["cases"] = cases;
        return document;
    }

    private static JsonObject DescribeOs(EnvironmentReport environment)
    {
        var os = new JsonObject
        {
            ["family"] = OsInfo.CurrentName,
            ["description"] = WineHost.Label ?? RuntimeInformation.OSDescription,
            ["version"] = Environment.OSVersion.VersionString,
            ["kernel"] = WineHost.HostRelease ?? environment.Kernel,
        };
        if (WineHost.IsWine)
        {
            os["wine"] = WineHost.Version;
            os["host"] = WineHost.HostSystem;
            os["emulates"] = "windows";
        }
        return os;
    }
}
