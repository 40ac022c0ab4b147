#!/usr/bin/env bash
# Measures the course runner on this machine, in one run:
#   1. cold start and per-cell overhead, side by side with dotnet-repl 0.3.259 on the same notebooks;
#   2. the whole main job in quick mode: wall time against the sum of its chapters' own times (issue 8);
#   3. the whole main job in full: wall time against the TIME_WAIT length chapter 03 measured (issue 10).
# Prints Markdown tables to paste into docs/benchmarks.md, with the load average beside each number.
# A benchmark, not a test: it asserts nothing. RUNS=N repeats parts 1 and 2 (median); FULL=0 skips part 3;
# the main job runs as the README says (`dotnet run --project lib/Course.Runner -- run`), after one build,
# into a scratch copy of images/ so the committed files are not touched.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dotnet build lib/Course.Runner -v q -nologo >/dev/null
dotnet tool restore >/dev/null
runner=(dotnet lib/Course.Runner/bin/Debug/net10.0/course.dll)
load() { cut -d' ' -f1 /proc/loadavg; }

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

millis() { echo $(( $(date +%s%N) / 1000000 )); } # shell arithmetic: awk's %d stops at 2^31
seconds() { # command... → wall seconds of the median of $runs runs, and the load average before the first
  local times=() before
  before=$(load)
  for _ in $(seq "$runs"); do
    local start end
    start=$(millis)
    "$@" >"$work/last.log" 2>&1 || { echo "benchmark command failed: $*" >&2; tail -20 "$work/last.log" >&2; exit 1; }
    end=$(millis)
    times+=("$((end - start))")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v l="$before" '{a[NR]=$1} END {printf "%.2f %s", a[int((NR+1)/2)]/1000, l}'
}

# Assignments, not process substitution: a failing command then stops the script with its message.
measured=$(seconds "${runner[@]}" run --jobs 1 --notebooks "$work/one" --out "$work/out1" --images "$work/img1"); read -r one one_load <<<"$measured"
measured=$(seconds "${runner[@]}" run --jobs 1 --notebooks "$work/many" --out "$work/out2" --images "$work/img2"); read -r many many_load <<<"$measured"
measured=$(seconds dotnet dotnet-repl --run "$work/one/01-bench.ipynb" --exit-after-run --output-path "$work/repl1.ipynb"); read -r repl_one repl_one_load <<<"$measured"
measured=$(seconds dotnet dotnet-repl --run "$work/many/01-bench.ipynb" --exit-after-run --output-path "$work/repl2.ipynb"); read -r repl_many repl_many_load <<<"$measured"
per_cell=$(awk -v a="$one" -v b="$many" 'BEGIN {printf "%.1f", (b - a) * 1000 / 50}')
repl_per_cell=$(awk -v a="$repl_one" -v b="$repl_many" 'BEGIN {printf "%.1f", (b - a) * 1000 / 50}')

echo "| measure (median of $runs runs, same notebooks) | course runner | dotnet-repl 0.3.259 |"
echo "|---|---|---|"
echo "| cold start: process start to a 1-cell notebook executed and written | ${one} s (load ${one_load}) | ${repl_one} s (load ${repl_one_load}) |"
echo "| per-cell overhead: (51 cells − 1 cell) / 50, trivial cells | ${per_cell} ms (load ${many_load}) | ${repl_per_cell} ms (load ${repl_many_load}) |"
echo

# The main job as the README runs it; the build is warm (built above), so `dotnet run` only checks it.
main_job() { # log, extra args...
  local log=$1
  shift
  rm -rf "$work/images" "$work/out"
  cp -r images "$work/images"
  local start end
  start=$(millis)
  dotnet run --project lib/Course.Runner -- run --out "$work/out" --images "$work/images/linux" "$@" >"$log" 2>&1 || true
  end=$(millis)
  echo "$((end - start))"
}
# Sum of the chapters' own times: the duration column of the run's summary table (each chapter's kernel, cells and all).
chapter_sum() { awk '/^[0-9][0-9]-[^ ]+ +(ok|failed) +[0-9.]+ s$/ {s += $(NF-1)} END {printf "%.1f", s}' "$1"; }

quick_rows=()
for i in $(seq "$runs"); do
  before=$(load)
  wall=$(main_job "$work/quick-$i.log" --quick)
  sum=$(chapter_sum "$work/quick-$i.log")
  quick_rows+=("$(awk -v w="$wall" -v s="$sum" -v l="$before" 'BEGIN {printf "| %.1f s | %.1f s | %.2f | %s |", w/1000, s, (w/1000)/s, l}')")
done
echo "| quick run: wall time (\`dotnet run … -- run --quick\`, warm build) | sum of its chapters' own times | wall / sum (target ≤ 1.5, wall < 20 s) | load average at the start |"
echo "|---:|---:|---:|---:|"
printf '%s\n' "${quick_rows[@]}"
echo

if [ "${FULL:-1}" != 0 ]; then
  before=$(load)
  wall=$(main_job "$work/full.log")
  # Chapter 03's measured TIME_WAIT length: the median lifetime of every entry of its pile-up (C1).
  tw=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([c for c in d["cases"] if c.get("case")=="time-wait-lifetimes"][0]["details"]["median_s"])' "$work/images/linux/results.json" 2>/dev/null || echo "?")
  holds=$(python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["verdicts"]; print(sum(x["verdict"]=="holds" for x in v), "of", len(v), "verdicts hold;", ", ".join(x["id"] + " " + x["verdict"] for x in v if x["verdict"] not in ("holds","not_measured")) or "none refuted")' "$work/images/linux/results.json" 2>/dev/null || echo "?")
  echo "| full run: wall time (\`dotnet run … -- run\`, warm build) | TIME_WAIT length measured by chapter 03 (C1 median) | wall / TIME_WAIT (target ≤ 1.35) | load average at the start | verdicts |"
  echo "|---:|---:|---:|---:|---|"
  awk -v w="$wall" -v t="$tw" -v l="$before" -v h="$holds" 'BEGIN {printf "| %.1f s | %s s | %s | %s | %s |\n", w/1000, t, (t+0 > 0 ? sprintf("%.2f", (w/1000)/t) : "?"), l, h}'
  echo
  # BENCH_KEEP_IMAGES=DIR keeps the full run's images/linux (results.json and charts) for a look or a commit.
  if [ -n "${BENCH_KEEP_IMAGES:-}" ]; then rm -rf "$BENCH_KEEP_IMAGES"; cp -r "$work/images/linux" "$BENCH_KEEP_IMAGES"; cp "$work/full.log" "$BENCH_KEEP_IMAGES.log"; fi
  grep -E '^[0-9][0-9]-[^ ]+ +(ok|failed|cancelled|not run) ' "$work/full.log" | awk '{printf "%s %s; ", $1, $(NF-1) " s"} END {print ""}' | sed 's/; $//' | sed 's/^/Full run chapters: /'
  echo
fi

echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo 2>/dev/null || echo '?'), $(uname -sr), $(dotnet --version) SDK, measured $(date -u +%Y-%m-%dT%H:%MZ); load average now $(load)."
