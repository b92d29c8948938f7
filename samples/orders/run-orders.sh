#!/usr/bin/env bash
# The order-processing workflow on a real cluster: three orders-node runners
# on free loopback ports sharing a fresh SQLite file, hosting the
# OrderProcessing workflow (shard group `workflow`) and the Payment and
# Shipping entities, each activity slowed down to 1.5 s. An order is placed
# with orders-cli; once the runner executing it has charged the payment (but
# not recorded it yet), that runner is killed with -9. The execution finishes
# on another runner, the waiting client gets its receipt, and the Payment
# ledger shows one charge. Then an order whose shipping fails: the
# compensation refunds the payment and the client gets the typed error.
# Every process it starts is stopped again, also when a step fails.
#
#   bash samples/orders/run-orders.sh [BUILD_DIR]    # default: build
set -euo pipefail

build=${1:-build}
node=$build/samples/orders/orders-node
cli=$build/samples/orders/orders-cli
ctl=$build/tools/cluster-ctl
dir=$(mktemp -d "${TMPDIR:-/tmp}/orders-cluster.XXXXXX")
# CAF_CLUSTER_STORAGE=postgresql://USER@HOST:PORT/DB?schema=NAME puts the
# cluster on PostgreSQL instead (an empty schema; the password through
# PGPASSWORD or password-file=, never in the URI).
storage=${CAF_CLUSTER_STORAGE:-sqlite:$dir/cluster.db}

source "$(dirname "$0")/../runners.sh"
require_programs "$node" "$cli" "$ctl"
node_args=(--cluster.shard-groups=default,workflow --activity-delay-ms 1500)

# Runs orders-cli with the cluster's storage.
cli() {
  "$cli" --storage "$storage" "$@"
}

# Prints the number of the runner whose output has a line matching $1, after
# waiting up to $2 tenths of a second for one; nothing when none has.
runner_printing() {
  local n
  for _ in $(seq "$2"); do
    for n in "${!pids[@]}"; do
      if grep -q -- "$1" "$dir/runner-$((n + 1)).out"; then
        echo $((n + 1))
        return 0
      fi
    done
    sleep 0.1
  done
}

for n in 1 2 3; do
  start_runner "$n"
done
echo "Started 3 runners: ${addresses[*]}"
await_even_shards 200

echo "--- place order o-1 (4200 cents); each activity takes 1.5 s ---"
cli place o-1 4200 --items book,lamp >"$dir/o-1.out" 2>&1 &
placing=$!
victim=$(runner_printing "order o-1: charged" 150)
if [[ -z $victim ]]; then
  echo "run-orders.sh: no runner charged order o-1 within 15 s" >&2
  exit 1
fi
grep -h "order o-1" "$dir/runner-$victim.out"
echo "--- kill -9 ${addresses[$((victim - 1))]}: it charged o-1 but did not record it ---"
lines=()
for n in 1 2 3; do
  lines+=("$(wc -l <"$dir/runner-$n.out")")
done
# In a group with stderr closed: bash reports the killed job there.
{
  kill -KILL "${pids[$((victim - 1))]}"
  wait "${pids[$((victim - 1))]}" || true
} 2>/dev/null
if ! wait "$placing"; then
  echo "run-orders.sh: placing o-1 failed: $(cat "$dir/o-1.out")" >&2
  exit 1
fi
for n in 1 2 3; do
  [[ $n == "$victim" ]] || tail -n +"$((lines[n - 1] + 1))" "$dir/runner-$n.out" | grep -h "order o-1" || true
done
cat "$dir/o-1.out"
cli ledger o-1
# The dead runner is out of the list the cleanup stops.
unset "pids[$((victim - 1))]"

echo "--- place order o-2 (1500 cents), the carrier refuses it ---"
set +e
cli place o-2 1500 --fail-shipping
code=$?
set -e
if [[ $code != 3 ]]; then
  echo "run-orders.sh: expected o-2 to fail with exit 3, got $code" >&2
  exit 1
fi
for n in 1 2 3; do
  [[ $n == "$victim" ]] || grep -h "order o-2" "$dir/runner-$n.out" || true
done
cli ledger o-2
cli status o-1
# The listing of executions, where cluster-ctl has it.
if "$ctl" --help 2>/dev/null | grep -q '^ *workflows'; then
  echo "--- cluster-ctl workflows ---"
  "$ctl" workflows --storage "$storage"
fi
pids=("${pids[@]}")
stop_runners
echo "Stopped the other 2 runners."
