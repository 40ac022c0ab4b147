#!/usr/bin/env bash
# Measures the course runner on this machine: cold start, per-cell overhead and chapter 01's wall time.
# Prints a Markdown table to paste into docs/benchmarks.md. A benchmark, not a test: it asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dotnet build lib/Course.Runner -c Release -v q -nologo >/dev/null
runner=(dotnet lib/Course.Runner/bin/Release/net10.0/course.dll)

# Two notebooks that differ only in their number of trivial cells.
make_notebook() { # dir cells
  mkdir -p "$1"
  /usr/bin/env python3 - "$1/01-bench.ipynb" "$2" <<'PY'
import json, sys
path, n = sys.argv[1], int(sys.argv[2])
cells = [{"cell_type": "code", "id": f"c{i:04d}", "metadata": {"polyglot_notebook": {"kernelName": "csharp"}},
          "execution_count": None, "outputs": [], "source": [f"var x{i} = {i} + 1;\n", f"x{i}"]} for i in range(n)]
nb = {"cells": cells, "nbformat": 4, "nbformat_minor": 5, "metadata": {
      "kernelspec": {"display_name": ".NET (C#)", "language": "C#", "name": ".net-csharp"},
      "language_info": {"name": "polyglot-notebook"},
      "polyglot_notebook": {"kernelInfo": {"defaultKernelName": "csharp", "items": [{"aliases": [], "name": "csharp"}]}}}}
json.dump(nb, open(path, "w"), indent=1)
PY
}
make_notebook "$work/one" 1
make_notebook "$work/many" 51

seconds() { # command... → wall seconds of the median of $runs runs
  local times=()
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1 || { echo "benchmark command failed: $*" >&2; exit 1; }
    end=$(date +%s%N)
    times+=("$(( (end - start) / 1000000 ))")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]/1000}'
}

one=$(seconds "${runner[@]}" run --notebooks "$work/one" --out "$work/out1" --images "$work/img1")
many=$(seconds "${runner[@]}" run --notebooks "$work/many" --out "$work/out2" --images "$work/img2")
chapter=$(seconds "${runner[@]}" run --chapter 01 --out "$work/out3" --images "$work/img3")
per_cell=$(awk -v a="$one" -v b="$many" 'BEGIN {printf "%.1f", (b - a) * 1000 / 50}')

echo "| measure (median of $runs runs, Release build) | value |"
echo "|---|---|"
echo "| runner cold start: process start to a 1-cell notebook executed and written | ${one} s |"
echo "| per-cell overhead: (51 cells − 1 cell) / 50, trivial cells | ${per_cell} ms |"
echo "| chapter 01 headless wall time (whole process, incl. start-up and SVG export) | ${chapter} s |"
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo 2>/dev/null || echo '?'), $(uname -sr), $(dotnet --version) SDK, measured $(date -u +%Y-%m-%d)."
