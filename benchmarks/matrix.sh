#!/usr/bin/env bash
# Measures the D1 port-sharing matrix on this machine: the full plan (every case, both bind paths), in process,
# after one warm-up run, and chapter 05's headless wall time. Prints a Markdown table to paste into
# docs/benchmarks.md. A benchmark, not a test: it asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/bench-project.sh
runs=${RUNS:-7}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dotnet build lib/AddressInUse -v q -nologo >/dev/null
dotnet build lib/Course.Runner -c Release -v q -nologo >/dev/null

write_bench_project "$work" "$PWD/lib/bin/AddressInUse.dll"
cat >"$work/Program.cs" <<EOF
using AddressInUse.Experiments.Matrix;
var plan = PortSharingPlan.Full();
// The first run pays for JIT compilation and first-use costs; the table reports the runs after it.
var warm = await PortSharing.MeasureAsync(plan);
var seconds = new List<double>();
for (var i = 0; i < $runs; i++)
{
    seconds.Add((await PortSharing.MeasureAsync(plan)).Elapsed.TotalSeconds);
}
seconds.Sort();
// The same plan with its wildcard cases on this machine instead of the private network lab's child (the lab's cost).
var host = new List<double>();
for (var i = 0; i < $runs; i++)
{
    host.Add((await PortSharing.MeasureAsync(plan with { WildcardInLab = false })).Elapsed.TotalSeconds);
}
host.Sort();
Console.WriteLine(\$"{warm.Outcomes.Count} {warm.Skipped.Count} {warm.Elapsed.TotalSeconds:0.000} {seconds[seconds.Count / 2]:0.000} {seconds[0]:0.000} {seconds[^1]:0.000} {host[host.Count / 2]:0.000} {warm.Wildcard.InLab}");
EOF
read -r cases skipped first median fastest slowest hostmedian inlab < <(dotnet run -c Release --project "$work/bench.csproj" 2>/dev/null | tail -1)

start=$(date +%s%N)
dotnet lib/Course.Runner/bin/Release/net10.0/course.dll run --chapter 05 --out "$work/out" --images "$work/img" >/dev/null 2>&1 \
  || { echo "chapter 05 failed to run" >&2; exit 1; }
chapter=$(awk -v ns="$(( $(date +%s%N) - start ))" 'BEGIN {printf "%.2f", ns / 1e9}')

echo "| measure | value |"
echo "|---|---|"
echo "| full D1 matrix, in process: $cases cases measured ($skipped skipped), median of $runs runs after a warm-up | ${median} s |"
echo "| fastest / slowest of those runs | ${fastest} s / ${slowest} s |"
echo "| the same with its $inlab wildcard cases on this machine instead of the lab's child (median) | ${hostmedian} s |"
echo "| first run in a fresh process (JIT and first-use costs included) | ${first} s |"
echo "| chapter 05 headless wall time (whole runner process, incl. start-up and SVG export) | ${chapter} s |"
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo 2>/dev/null || echo '?'), $(uname -sr), $(dotnet --version) SDK, measured $(date -u +%Y-%m-%d)."
