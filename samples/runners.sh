# Shared by the samples' cluster scripts (sourced): start runner processes on
# free loopback ports, stop them all (SIGTERM, SIGKILL after 5 s), and clean
# up on exit, also when a step fails. The caller sets `node` (the runner
# program), `dir` (a fresh directory, removed on exit), `storage`, and
# optionally `node_args` (more arguments for every runner); `pids` and
# `addresses` list the runners started.
pids=()
addresses=()
node_args=()
script=$(basename "$0")

# Fails unless every program given is built.
require_programs() {
  local program
  for program in "$@"; do
    if [[ ! -x $program ]]; then
      echo "$script: $program not found; build it first" >&2
      exit 1
    fi
  done
}

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
      echo "$script: runner $pid did not stop within 5 s, killing it" >&2
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
      "${node_args[@]}" >"$out" 2>"$err" &
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
      echo "$script: runner $n printed no ready line within 10 s" >&2
      return 1
    fi
    wait "$pid" 2>/dev/null || true
    grep -q 'cannot listen' "$err" || break
  done
  echo "$script: runner $n failed to start: $(cat "$err")" >&2
  return 1
}


# Shards move while runners join (the first one takes all 300 at first):
# waits up to 10 s until each of the 3 runners holds its share, $1 shards
# (default 100: one group of 300; 200 with two groups) (needs `ctl`, the
# cluster-ctl program).
await_even_shards() {
  local counts settled=no share=${1:-100}
  for _ in $(seq 100); do
    counts=$("$ctl" shards --storage "$storage" | sed '1,/^runner held-shards$/d')
    if [[ $(grep -c " $share\$" <<<"$counts") == 3 ]]; then
      settled=yes
      break
    fi
    sleep 0.1
  done
  if [[ $settled != yes ]]; then
    echo "$script: shards did not settle within 10 s:" $counts >&2
    return 1
  fi
}
