#!/usr/bin/env bash
# Issue 21: runs the full main job N times in a row (RUNS, default 5) into /tmp/course-repeat/{outN,imgN} (never the committed
# images/), prints each run's wall time and load average, then compares the results.json files: every deterministic case and
# verdict must have the same outcome in every run; cases marked "probabilistic" are listed with their caught/attempts rate.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
root=${ROOT:-/tmp/course-repeat}
mkdir -p "$root"
dotnet build lib/Course.Runner -v q -nologo >/dev/null || { echo "build failed"; exit 1; }
for n in $(seq 1 "$runs"); do
  rm -rf "$root/out$n" "$root/img$n"
  l0=$(cut -d' ' -f1-3 /proc/loadavg); t0=$(date +%s)
  dotnet run --no-build --project lib/Course.Runner -- run --out "$root/out$n" --images "$root/img$n" > "$root/run$n.log" 2>&1; rc=$?
  echo "run $n: commit $(git rev-parse --short HEAD), exit $rc, $(( $(date +%s) - t0 )) s, load $l0 -> $(cut -d' ' -f1-3 /proc/loadavg)"
done
python3 - "$root" "$runs" <<'PY'
import json, sys, collections
root, runs = sys.argv[1], int(sys.argv[2])
data = [json.load(open(f"{root}/img{n}/results.json")) for n in range(1, runs + 1)]
cases, verdicts, rates = collections.OrderedDict(), collections.OrderedDict(), collections.defaultdict(lambda: [0, 0])
for i, d in enumerate(data):
    seen = collections.Counter()
    for c in d["cases"]:
        k = (c.get("chapter"), c.get("scenario"), c.get("case"), c.get("api"), c.get("protocol"))
        seen[k] += 1
        details = c.get("details") if isinstance(c.get("details"), dict) else {}
        if details.get("probabilistic"):
            rates[k][0] += details.get("caught") or 0
            rates[k][1] += details.get("attempts") or 0
            continue
        cases.setdefault(k + (seen[k],), [None] * len(data))[i] = c.get("outcome")
    for v in d["verdicts"]:
        verdicts.setdefault(v["id"], [None] * len(data))[i] = v["verdict"]
differ = [(k, o) for k, o in list(cases.items()) + list(verdicts.items()) if len(set(o)) > 1]
for k, o in differ:
    print("differs:", k, o)
print(f"{len(cases)} deterministic cases and {len(verdicts)} verdicts compared over {runs} runs: {len(differ)} differ")
for k, (caught, attempts) in rates.items():
    print(f"probabilistic: {k[1]} {k[2]}: caught in {caught} of {attempts} attempts")
sys.exit(1 if differ else 0)
PY
