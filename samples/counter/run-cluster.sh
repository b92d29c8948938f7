#!/usr/bin/env bash
# The distributed counter as a real cluster: three counter-node runners on
# free loopback ports sharing a fresh SQLite file, driven by counter-cli.
# Every process it starts is stopped again (SIGTERM, SIGKILL after 5 s), also
# when a step fails.
#
#   bash samples/counter/run-cluster.sh [BUILD_DIR] [--tls]    # default: build
#
# With --tls every runner and counter-cli talk mutual TLS, with certificates
# of a throw-away CA made by scripts/make-test-ca.sh.
set -euo pipefail

build=build
tls=no
for arg in "$@"; do
  case $arg in
    --tls) tls=yes ;;
    *) build=$arg ;;
  esac
done
node=$build/samples/counter/counter-node
cli=$build/samples/counter/counter-cli
ctl=$build/tools/cluster-ctl
dir=$(mktemp -d "${TMPDIR:-/tmp}/counter-cluster.XXXXXX")
# CAF_CLUSTER_STORAGE=postgresql://USER@HOST:PORT/DB?schema=NAME puts the
# cluster on PostgreSQL instead (an empty schema; the password through
# PGPASSWORD or password-file=, never in the URI).
storage=${CAF_CLUSTER_STORAGE:-sqlite:$dir/cluster.db}

source "$(dirname "$0")/../runners.sh"
require_programs "$node" "$cli" "$ctl"

cli_args=()
if [[ $tls == yes ]]; then
  bash "$(dirname "$0")/../../scripts/make-test-ca.sh" "$dir/certs" >/dev/null
  node_args=("--cluster.tls.ca-file=$dir/certs/ca.pem"
             "--cluster.tls.cert-file=$dir/certs/runner.pem"
             "--cluster.tls.key-file=$dir/certs/runner.key")
  cli_args=("--cluster.tls.ca-file=$dir/certs/ca.pem"
            "--cluster.tls.cert-file=$dir/certs/client.pem"
            "--cluster.tls.key-file=$dir/certs/client.key")
  echo "Mutual TLS on, certificates in $dir/certs"
fi

# Runner 1 also serves HTTP on loopback (no token: nothing but this host can
# reach it), offering Counter as JSON.
http_port=$(( 30000 + RANDOM % 10000 ))
plain_args=("${node_args[@]}")
node_args+=("--cluster.http-listen=127.0.0.1:$http_port" "--cluster.http-anonymous")
start_runner 1
node_args=("${plain_args[@]}")
for n in 2 3; do
  start_runner "$n"
done
echo "Started 3 runners: ${addresses[*]} (the first with an HTTP gateway on 127.0.0.1:$http_port)"

await_even_shards

value=$("$cli" --storage "$storage" "${cli_args[@]}" increment counter-1 5)
echo "After increment: $value"
value=$("$cli" --storage "$storage" "${cli_args[@]}" decrement counter-1 2)
echo "After decrement: $value"
value=$("$cli" --storage "$storage" "${cli_args[@]}" get counter-1)
echo "Current value: $value"
shard=$("$ctl" shard-id counter-1)
holder=$("$ctl" shards --storage "$storage" \
  | awk -v shard="$shard" '$1 == shard && $5 == "held" { print $2 }')
echo "counter-1 is on shard $shard, held by runner ${holder:-(none)}"
reply=$(curl -s --max-time 10 -X POST \
  "http://127.0.0.1:$http_port/entities/Counter/counter-1/increment" -d '{"amount": 10}')
echo "Over HTTP, POST /entities/Counter/counter-1/increment {\"amount\": 10}: $reply"

stop_runners
echo "Stopped 3 runners."

# Increments and decrements are persisted and the value is durable state:
# a new cluster on the same file carries on where the old one stopped.
for n in 1 2 3; do
  start_runner "$n"
done
value=$("$cli" --storage "$storage" "${cli_args[@]}" get counter-1)
echo "Restarted 3 runners; counter-1 is still $value"
value=$("$cli" --storage "$storage" "${cli_args[@]}" increment counter-1 1)
echo "After increment: $value"
stop_runners
echo "Stopped 3 runners."
