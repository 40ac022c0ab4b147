#!/usr/bin/env bash
# Measures the sampler's one-port read of the TCP table (TcpTable.ReadPorts: sock_diag on Linux) against the floor, a bare
# netlink dump with the same in-kernel filter, and against `ss -tan sport = :P or dport = :P` and /proc/net/tcp, with
# UNRELATED=N extra TIME_WAIT entries created first (default 0), plus the CPU a sampler uses at its default interval.
# The sampler and the floor are also read alternately (one of each per round) and compared by their medians, which a load
# that changes between two back-to-back runs does not skew. A benchmark, not a test: it asserts nothing.
# Last line: ms_per_read=<x> rows=<n>.
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/bench-project.sh
unrelated=${UNRELATED:-0}
seconds=${SECONDS_PER_READER:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dotnet build lib/AddressInUse -c Release -v q -nologo -o "$work/lib" >/dev/null

write_bench_project "$work" "$work/lib/AddressInUse.dll"
cat >"$work/Program.cs" <<'EOF2'
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using AddressInUse.Observation;
var unrelated = int.Parse(args[0]);
var duration = TimeSpan.FromSeconds(double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture));
await SamplerBenchmark.CreateUnrelatedTimeWaitAsync(unrelated);
// The watched port: a listener with one connection, as an experiment's sampler sees it.
using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
listener.Listen();
var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
client.Connect(listener.LocalEndPoint!);
using var accepted = listener.Accept();
var ports = new[] { port };
var table = TcpTable.ReadFrom(TcpTableSource.Proc, null, null).Count;
var sampler = SamplerBenchmark.MsPerRead(() => TcpTable.ReadPorts(ports).Count, duration, out var rows);
var source = TcpTable.LastSource;
var floor = SamplerBenchmark.MsPerRead(() => (int)SockDiag.DumpBytesOnly(ports), duration, out _);
// The same two reads alternated, one of each per round, and compared by their medians: on a shared machine the load changes
// between the two back-to-back runs above, while alternating reads see the same load, and a median ignores preempted reads.
var pairClock = Stopwatch.StartNew();
var samplerTimes = new List<double>();
var floorTimes = new List<double>();
while (pairClock.Elapsed < duration)
{
    var t0 = Stopwatch.GetTimestamp();
    TcpTable.ReadPorts(ports);
    var t1 = Stopwatch.GetTimestamp();
    SockDiag.DumpBytesOnly(ports);
    var t2 = Stopwatch.GetTimestamp();
    samplerTimes.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
    floorTimes.Add(Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds);
}
static double Median(List<double> xs) { xs.Sort(); return xs[xs.Count / 2]; }
var samplerMedian = Median(samplerTimes);
var floorMedian = Median(floorTimes);
var proc = SamplerBenchmark.MsPerRead(() => TcpTable.ReadFrom(TcpTableSource.Proc, null, ports).Count, duration, out _);
// ss: a whole process per read, so its time includes a process start; reported for context, not as the floor.
var ssClock = Stopwatch.StartNew();
var ssRuns = 0;
while (ssClock.Elapsed < duration)
{
    using var ss = Process.Start(new ProcessStartInfo("ss", $"-tan \"( sport = :{port} or dport = :{port} )\"") { RedirectStandardOutput = true })!;
    ss.StandardOutput.ReadToEnd();
    ss.WaitForExit();
    ssRuns++;
}
var ssMs = ssClock.Elapsed.TotalMilliseconds / ssRuns;
var cpu = await SamplerBenchmark.CpuAtDefaultIntervalAsync(port, duration);
FormattableString line = $"unrelated={unrelated} table_rows={table} source={source} sampler_ms={sampler:0.000} netlink_floor_ms={floor:0.000} ratio={sampler / floor:0.00} alternated_pairs={samplerTimes.Count} alternated_sampler_median_ms={samplerMedian:0.000} alternated_floor_median_ms={floorMedian:0.000} alternated_ratio={samplerMedian / floorMedian:0.00} proc_ms={proc:0.000} ss_process_ms={ssMs:0.000} cpu_default_interval={cpu * 100:0}%";
Console.WriteLine(FormattableString.Invariant(line));
Console.WriteLine(FormattableString.Invariant($"ms_per_read={sampler:0.000} rows={rows}"));
EOF2
dotnet run -c Release --project "$work/bench.csproj" -- "$unrelated" "$seconds" 2>/dev/null | tail -2
