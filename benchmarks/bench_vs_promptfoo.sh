#!/usr/bin/env bash
# End-to-end eval runner speed, side by side: promptfoo against `workbench eval`.
#
#   benchmarks/bench_vs_promptfoo.sh [N] [C] [D_MS]      (default 200 16 200)
#
# Both runners get the same N generated questions (benchmarks/peer/gen_tests.py and
# gen_questions.py) and an OpenAI-compatible stub on loopback of their own
# (benchmarks/peer/stub_server.py: every chat completion answered after D ms with one
# `run_query` tool call), concurrency C, no response cache; they run one after the other
# so the two figures share the machine's state. Each line gives the wall time of the whole
# process (start-up included), the ideal N x D / C, their ratio and peak RSS; the last line
# gives the throughput ratio and the load average (the machine's other work slows both).
#
# promptfoo (pinned: PF_VERSION) is installed with `npm ci` into a temporary folder,
# removed afterwards; set PF_DIR to a folder whose node_modules has it to skip the install.
# promptfoo's telemetry, update check and sharing are off and any non-loopback request is
# routed to a closed port. Every process this script starts is stopped by its PID.
set -euo pipefail
N=${1:-200} C=${2:-16} D=${3:-200}
PF_VERSION=0.121.20
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
PEER=$HERE/peer
WORK=$(mktemp -d -t bench-vs-promptfoo-XXXXXX)
STUB_PID=
cleanup() {
  if [[ -n $STUB_PID ]]; then kill -TERM "$STUB_PID" 2>/dev/null || true; wait "$STUB_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if [[ -z ${PF_DIR:-} ]]; then
  PF_DIR=$WORK/pf
  mkdir -p "$PF_DIR"
  cp "$PEER/package.json" "$PEER/package-lock.json" "$PF_DIR/"
  echo "installing promptfoo $PF_VERSION (npm ci, about 2 min) into $PF_DIR" >&2
  (cd "$PF_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
PF_V=$(node -p "require('$PF_DIR/node_modules/promptfoo/package.json').version")
[[ $PF_V == "$PF_VERSION" ]] || echo "note: promptfoo $PF_V in $PF_DIR, not the pinned $PF_VERSION" >&2

free_port() { python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }

start_stub() {  # start_stub PORT STATS_FILE
  python3 "$PEER/stub_server.py" --port "$1" --delay-ms "$D" --stats-file "$2" >/dev/null 2>&1 &
  STUB_PID=$!
  for _ in $(seq 1 200); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), timeout=0.2)" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "stub did not come up" >&2; return 1
}

stop_stub() { kill -TERM "$STUB_PID"; wait "$STUB_PID" || true; STUB_PID=; }

now() { date +%s.%N; }

# ------------------------------------------------------------------ promptfoo
export PROMPTFOO_DISABLE_TELEMETRY=1 PROMPTFOO_DISABLE_UPDATE=1 PROMPTFOO_DISABLE_SHARING=1
export PROMPTFOO_DISABLE_REMOTE_GENERATION=1 PROMPTFOO_DISABLE_REDTEAM_REMOTE_GENERATION=1
export PROMPTFOO_CONFIG_DIR=$WORK/pf_home PROMPTFOO_CACHE_PATH=$WORK/pf_home/cache
export NO_COLOR=1 FORCE_COLOR=0
mkdir -p "$PROMPTFOO_CONFIG_DIR"

run_promptfoo() {  # run_promptfoo N TAG -> writes "t0 t1 rss_kb" to $WORK/res_pf_TAG
  local n=$1 tag=$2 port
  port=$(free_port)
  python3 "$PEER/gen_tests.py" "$n" "$WORK/tests_$tag.yaml"
  cp "$PEER/prompt.json" "$WORK/prompt.json"
  sed -e "s#127.0.0.1:18765#127.0.0.1:$port#" -e "s#file://results/tests.yaml#file://$WORK/tests_$tag.yaml#" \
    "$PEER/promptfooconfig.yaml" > "$WORK/pf_$tag.yaml"
  start_stub "$port" "$WORK/stub_pf_$tag.json"
  local t0 t1
  t0=$(now)
  ( cd "$PF_DIR" && HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 \
      http_proxy=http://127.0.0.1:9 NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost \
      /usr/bin/time -f "%M" -o "$WORK/rss_pf_$tag" ./node_modules/.bin/promptfoo eval -c "$WORK/pf_$tag.yaml" \
      --no-cache --max-concurrency "$C" -o "$WORK/out_pf_$tag.json" >"$WORK/pf_$tag.log" 2>&1 ) \
    || echo "promptfoo exit $? (see the log)" >&2
  t1=$(now)
  stop_stub
  echo "$t0 $t1 $(cat "$WORK/rss_pf_$tag")" > "$WORK/res_pf_$tag"
}

# ------------------------------------------------------------------ workbench
DATA=${WB_DATA:-}  # the dataset to run on (default: the home's generated telemetry, generated if missing)
[[ -n $DATA ]] || DATA=$(cd "$ROOT" && PYTHONPATH=$ROOT python3 -c "
from workbench.core.paths import default_dataset_path
from workbench.dataset.source import open_dataset
print(open_dataset(None).path if not default_dataset_path().exists() else default_dataset_path())")

run_workbench() {  # run_workbench N TAG -> writes "t0 t1 rss_kb" to $WORK/res_wb_TAG
  local n=$1 tag=$2 port
  port=$(free_port)
  python3 "$PEER/gen_questions.py" "$n" "$WORK/questions_$tag.yaml"
  start_stub "$port" "$WORK/stub_wb_$tag.json"
  local t0 t1
  t0=$(now)
  ( cd "$WORK" && OPENAI_BASE_URL=http://127.0.0.1:$port/v1 OPENAI_API_KEY=dummy WORKBENCH_HOME=$WORK/wb_home \
      PYTHONPATH=$ROOT /usr/bin/time -f "%M" -o "$WORK/rss_wb_$tag" python3 -m workbench eval \
      --data "$DATA" --questions "$WORK/questions_$tag.yaml" --prompt "$ROOT/prompts/compact.yaml" \
      --model gpt-4o-mini --trials 1 --no-cache --concurrency "$C" --json "$WORK/out_wb_$tag.json" \
      >"$WORK/wb_$tag.log" 2>&1 ) || { echo "workbench exit $?:" >&2; tail -3 "$WORK/wb_$tag.log" >&2; }
  t1=$(now)
  stop_stub
  echo "$t0 $t1 $(cat "$WORK/rss_wb_$tag")" > "$WORK/res_wb_$tag"
}

# warm-up: promptfoo's first eval in a fresh state folder migrates its database; both get one
run_promptfoo 5 warm
run_workbench 5 warm
run_promptfoo "$N" main
run_workbench "$N" main
read -r pf0 pf1 pfrss < "$WORK/res_pf_main"
read -r wb0 wb1 wbrss < "$WORK/res_wb_main"

python3 - "$N" "$C" "$D" "$pf0" "$pf1" "$pfrss" "$wb0" "$wb1" "$wbrss" "$PF_V" "$(node --version)" "$WORK" <<'PY'
import json, os, sys
n, c, d = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
pf_wall, wb_wall = float(sys.argv[5]) - float(sys.argv[4]), float(sys.argv[8]) - float(sys.argv[7])
ideal = n * d / c / 1000
work = sys.argv[12]
stubs = {k: json.load(open(f"{work}/stub_{k}_main.json")) for k in ("pf", "wb")}
for name, wall, rss, k in (("promptfoo " + sys.argv[10] + " (node " + sys.argv[11] + ")", pf_wall, sys.argv[6], "pf"),
                           ("workbench eval", wb_wall, sys.argv[9], "wb")):
    s = stubs[k]
    print(f"{name:<36} N={n} C={c} D={d:g}ms wall={wall:.2f}s ideal={ideal:.2f}s ratio={wall / ideal:.2f}x "
          f"per-case={1000 * wall / n:.1f}ms rss={int(rss) / 1024:.0f}MB stub requests={s['requests']} "
          f"max_concurrency={s['max_concurrency']}")
print(f"workbench throughput = {pf_wall / wb_wall:.2f}x promptfoo's; load average {os.getloadavg()[0]:.2f} "
      f"on {os.cpu_count()} cores")
PY
