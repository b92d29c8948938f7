#!/usr/bin/env bash
# The distributed counter as a real cluster: three counter-node runners on
# free loopback ports sharing a fresh SQLite file, driven by counter-cli.
# Every process it starts is stopped again (SIGTERM, SIGKILL after 5 s), also
# when a step fails.
#
#   bash samples/counter/run-cluster.sh [BUILD_DIR]    # default: build
set -euo pipefail

build=${1:-build}
node=$build/samples/counter/counter-node
cli=$build/samples/counter/counter-cli
ctl=$build/tools/cluster-ctl
for program in "$node" "$cli" "$ctl"; do
  if [[ ! -x $program ]]; then
    echo "run-cluster.sh: $program not found; build it first" >&2
    exit 1
  fi
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/counter-cluster.XXXXXX")
storage=sqlite:$dir/cluster.db
pids=()
addresses=()

# Stops every runner still running: SIGTERM, then SIGKILL for any that has
# not exited within 5 s. Succeeds when each exited with 0.
stop_runners() {
  local pid ok=0
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "run-cluster.sh: runner $pid did not stop within 5 s, killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || ok=1
  done
  pids=()
  return $ok
}

cleanup() {
  local rc=$?
  stop_runners || true
  rm -rf "$dir"
  exit $rc
}
trap cleanup EXIT

# Starts runner number $1 on a random free port (another port when the one
# it picked turned out to be taken) and waits up to 10 s for its ready line.
start_runner() {
  local n=$1 attempt port pid out err
  out=$dir/runner-$n.out
  err=$dir/runner-$n.err
  for attempt in 1 2 3 4 5; do
    port=$(( 20000 + RANDOM % 10000 ))
    "$node" --host 127.0.0.1 --port "$port" --storage "$storage" \
      >"$out" 2>"$err" &
    pid=$!
    for _ in $(seq 100); do
      if grep -q '^ready ' "$out"; then
        pids+=("$pid")
        addresses+=("$(sed -n 's/^ready //p' "$out")")
        return 0
      fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid"
      wait "$pid" 2>/dev/null || true
      echo "run-cluster.sh: runner $n printed no ready line within 10 s" >&2
      return 1
    fi
    wait "$pid" 2>/dev/null || true
    grep -q 'cannot listen' "$err" || break
  done
  echo "run-cluster.sh: runner $n failed to start: $(cat "$err")" >&2
  return 1
}

for n in 1 2 3; do
  start_runner "$n"
done
echo "Started 3 runners: ${addresses[*]}"

# Shards move while runners join (the first one takes all 300 at first);
# wait until each runner holds its 100, so the counter stays where it is.
settled=no
for _ in $(seq 100); do
  counts=$("$ctl" shards --storage "$storage" | sed '1,/^runner held-shards$/d')
  if [[ $(grep -c ' 100$' <<<"$counts") == 3 ]]; then
    settled=yes
    break
  fi
  sleep 0.1
done
if [[ $settled != yes ]]; then
  echo "run-cluster.sh: shards did not settle within 10 s:" $counts >&2
  exit 1
fi

value=$("$cli" --storage "$storage" increment counter-1 5)
echo "After increment: $value"
value=$("$cli" --storage "$storage" decrement counter-1 2)
echo "After decrement: $value"
value=$("$cli" --storage "$storage" get counter-1)
echo "Current value: $value"
shard=$("$ctl" shard-id counter-1)
holder=$("$ctl" shards --storage "$storage" \
  | awk -v shard="$shard" '$1 == shard && $5 == "held" { print $2 }')
echo "counter-1 is on shard $shard, held by runner ${holder:-(none)}"

stop_runners
echo "Stopped 3 runners."

# Increments and decrements are persisted and the value is durable state:
# a new cluster on the same file carries on where the old one stopped.
for n in 1 2 3; do
  start_runner "$n"
done
value=$("$cli" --storage "$storage" get counter-1)
echo "Restarted 3 runners; counter-1 is still $value"
value=$("$cli" --storage "$storage" increment counter-1 1)
echo "After increment: $value"
stop_runners
echo "Stopped 3 runners."
