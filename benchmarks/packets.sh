#!/usr/bin/env bash
# Issue 17's numbers: does capturing change what is measured, does it keep every segment, and what does it cost?
# Runs each captured scenario RUNS times (default 20) in one lab namespace with the packet socket and RUNS times without,
# compares each run's outcome (the kernel's table at the end, plus the scenario's own results: nft drops, connect outcome…),
# sums the segments captured against the namespace's own Tcp OutSegs + RetransSegs, and times the capture.
# A benchmark, not a test: it asserts nothing. Prints a markdown table and the load average before and after.
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/bench-project.sh
runs=${RUNS:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dotnet build lib/AddressInUse -c Release -v q -nologo -o "$work/lib" >/dev/null
write_bench_project "$work" "$work/lib/AddressInUse.dll"
cat >"$work/Program.cs" <<'EOF2'
using System.Globalization;
using System.Text.Json.Nodes;
using AddressInUse.Lab;
var runs = int.Parse(args[0], CultureInfo.InvariantCulture);
var none = new Dictionary<string, string>();
(string Label, string Scenario, Dictionary<string, string> Settings, JsonObject Extra)[] scenarios =
[
    ("client closes first", "client-closes-first", none, new()),
    ("server closes first", "server-closes-first", none, new()),
    ("half-closed, data after FIN", "half-closed-data", none, new()),
    ("LAST_ACK behind data", "last-ack", none, new()),
    ("SO_LINGER {on, 0}", "linger-zero", none, new()),
    ("close with unread data", "close-unread", none, new()),
    ("lost last ACK", "lost-last-ack", none, new()),
    ("lost last ACK, no TIME_WAIT", "lost-last-ack", new() { ["net.ipv4.tcp_max_tw_buckets"] = "0" }, new()),
    ("new SYN meets TIME_WAIT", "new-syn", none, new()),
];
// What a run measured, without the segments themselves and without byte counts that follow the socket buffers.
static string Outcome(JsonNode run)
{
    var o = new JsonObject();
    foreach (var (key, value) in run.AsObject())
    {
        if (key is "trace" or "run_ms" or "scenario" || key.EndsWith("bytes", StringComparison.Ordinal) || key == "tw_overflow_counter")
        {
            continue;
        }
        o[key] = value?.DeepClone();
    }
    return o.ToJsonString();
}
static double Median(IEnumerable<double> values) { var v = values.OrderBy(x => x).ToArray(); return v.Length == 0 ? 0 : v[v.Length / 2]; }
Console.WriteLine($"load average before: {File.ReadAllText("/proc/loadavg").Trim()}");
Console.WriteLine($"| scenario | runs | outcomes with capture | outcomes without | agree | segments captured / kernel sent | packet socket drops | capture cost per run (ms, median) | run with / without (ms, median) |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
foreach (var (label, scenario, settings, extra) in scenarios)
{
    async Task<JsonArray> RunAsync(bool capture)
    {
        var arguments = (JsonObject)extra.DeepClone();
        arguments["scenario"] = scenario;
        arguments["repeat"] = runs;
        arguments["capture"] = capture;
        return (await NetworkLab.RunAsync("captured", settings, arguments, TimeSpan.FromMinutes(10)))["runs"]!.AsArray();
    }
    var with = await RunAsync(true);
    var without = await RunAsync(false);
    var withOutcomes = with.Select(r => Outcome(r!)).GroupBy(x => x).ToDictionary(g => g.Key, g => g.Count());
    var withoutOutcomes = without.Select(r => Outcome(r!)).GroupBy(x => x).ToDictionary(g => g.Key, g => g.Count());
    var agree = withOutcomes.Count == withoutOutcomes.Count && withOutcomes.All(kv => withoutOutcomes.GetValueOrDefault(kv.Key) == kv.Value);
    var counts = with.Select(r => r!["trace"]!["count"]!).ToList();
    var kept = counts.Sum(c => c["kept"]!.GetValue<int>() - c["injected"]!.GetValue<int>());
    var sent = counts.Sum(c => c["kernel_out_segs"]!.GetValue<long>());
    var drops = counts.Sum(c => c["socket_drops"]!.GetValue<long>());
    var cost = Median(counts.Select(c => c["cost_ms"]!.GetValue<double>()));
    var runWith = Median(with.Select(r => r!["run_ms"]!.GetValue<double>()));
    var runWithout = Median(without.Select(r => r!["run_ms"]!.GetValue<double>()));
    string Shapes(Dictionary<string, int> o) => string.Join("; ", o.Select(kv => $"{kv.Value}× {kv.Key.Replace("|", "/")}"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {label} | {runs} + {runs} | {withOutcomes.Count} distinct | {withoutOutcomes.Count} distinct | {(agree ? "yes" : "NO: " + Shapes(withOutcomes) + " vs " + Shapes(withoutOutcomes))} | {kept} / {sent} | {drops} | {cost:0.0} | {runWith:0.0} / {runWithout:0.0} |"));
}
Console.WriteLine($"load average after: {File.ReadAllText("/proc/loadavg").Trim()}");
EOF2
dotnet build "$work" -c Release -v q -nologo >/dev/null
# The lab starts the library again as its child (dotnet exec AddressInUse.dll), which needs its runtimeconfig, deps and packages beside it.
cp -rn "$work/lib/." "$work/bin/Release/net10.0/"
dotnet "$work/bin/Release/net10.0/bench.dll" "$runs"
