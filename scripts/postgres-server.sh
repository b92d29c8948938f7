#!/usr/bin/env bash
# A throw-away PostgreSQL 15 server for the tests (Debian's postgresql-15):
#   scripts/postgres-server.sh start DIR    initdb into DIR/data and start it
#   scripts/postgres-server.sh stop DIR     stop it (pg_ctl stop -m fast) and remove DIR
#   scripts/postgres-server.sh halt DIR     stop it but keep DIR (a server outage in a test)
#   scripts/postgres-server.sh resume DIR   start a halted server again on its port
#   scripts/postgres-server.sh uri DIR      print the storage URI (no password in it)
#   scripts/postgres-server.sh status DIR   exit 0 when it accepts connections
# The server listens on 127.0.0.1 only, at a free port, with its unix socket in
# DIR/run, and takes scram-sha-256 passwords only. As root it runs as the system user
# caf-cluster-pg (created when missing), else as the calling user. DIR/uri holds
# `postgresql://caf_cluster@127.0.0.1:PORT/caf_cluster`, DIR/password the generated
# password (mode 600). Durability is traded for speed (fsync=off): test data only.
# Every wait is bounded; a server that does not come up is stopped by its pid.
set -euo pipefail

bin=${CAF_CLUSTER_PG_BIN:-/usr/lib/postgresql/15/bin}
pg_user=caf-cluster-pg
db_user=caf_cluster
db_name=caf_cluster

usage() {
  echo "usage: $0 start|stop|halt|resume|uri|status DIR" >&2
  exit 2
}
(($# == 2)) || usage
cmd=$1
dir=$2
[[ $dir == /* ]] || dir=$PWD/$dir

die() {
  echo "postgres-server: $*" >&2
  exit 1
}

# Runs a command as the server's owner: the system user as root, else ourselves.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u "$pg_user" -- "$@"
  else
    "$@"
  fi
}

ensure_owner() {
  [[ $(id -u) -eq 0 ]] || return 0
  getent passwd "$pg_user" >/dev/null && return 0
  useradd --system --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin "$pg_user" || die "cannot create the system user $pg_user"
}

port_of() {
  [[ -f $dir/port ]] || die "$dir/port is missing: no server was started in $dir"
  cat "$dir/port"
}

# Whether something listens on 127.0.0.1:$1.
port_taken() {
  ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

# Starts the server in $dir/data on port $1; returns 1 when it does not come up
# within 30 s (the port taken meanwhile, say), after stopping what it started.
launch() {
  local port=$1
  if ! as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir/run" \
      start >/dev/null; then
    if [[ -f $dir/data/postmaster.pid ]]; then
      local pid
      pid=$(head -1 "$dir/data/postmaster.pid")
      [[ $pid =~ ^[0-9]+$ ]] && kill -KILL "$pid" 2>/dev/null || true
    fi
    return 1
  fi
}

start() {
  [[ -x $bin/initdb ]] || die "$bin/initdb not found: install postgresql-15 (scripts/bootstrap.sh)"
  if [[ -e $dir ]] && [[ -n $(ls -A "$dir" 2>/dev/null) ]]; then
    die "$dir is not empty (stop the server there first: $0 stop $dir)"
  fi
  ensure_owner
  mkdir -p "$dir"
  chmod 755 "$dir"
  mkdir -p "$dir/data" "$dir/run"
  chmod 700 "$dir/data"
  if [[ $(id -u) -eq 0 ]]; then
    chown "$pg_user" "$dir/data" "$dir/run"
    touch "$dir/log"
    chown "$pg_user" "$dir/log"
  fi
  (umask 077 && od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$dir/password")
  chmod 600 "$dir/password"
  # initdb reads the password from a file its owner can read; gone right after.
  local pwfile=$dir/run/initdb-password
  (umask 077 && cp "$dir/password" "$pwfile")
  [[ $(id -u) -ne 0 ]] || chown "$pg_user" "$pwfile"
  if ! as_owner "$bin/initdb" -D "$dir/data" -U "$db_user" --pwfile="$pwfile" \
      --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
      >"$dir/initdb.log" 2>&1; then
    rm -f "$pwfile"
    cat "$dir/initdb.log" >&2
    die "initdb failed in $dir/data"
  fi
  rm -f "$pwfile"
  cat >>"$dir/data/postgresql.conf" <<EOF
# caf-cluster test server (scripts/postgres-server.sh)
listen_addresses = '127.0.0.1'
password_encryption = 'scram-sha-256'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
EOF
  local port="" attempt
  for attempt in 1 2 3 4 5; do
    local candidate=$((20000 + RANDOM % 40000))
    port_taken "$candidate" && continue
    if launch "$candidate"; then
      port=$candidate
      break
    fi
  done
  [[ -n $port ]] || { tail -20 "$dir/log" >&2; die "the server did not start (log: $dir/log)"; }
  echo "$port" >"$dir/port"
  # The cluster's own database, made over the unix socket with the password.
  if ! PGPASSWORD=$(cat "$dir/password") "$bin/psql" -h "$dir/run" -p "$port" \
      -U "$db_user" -d postgres -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $db_name" >/dev/null; then
    stop_server || true
    die "cannot create the database $db_name"
  fi
  echo "postgresql://$db_user@127.0.0.1:$port/$db_name" >"$dir/uri"
  echo "postgres-server: started $(cat "$dir/uri") (data in $dir/data, password in $dir/password)"
}

# Stops the server of $dir if it runs: pg_ctl stop -m fast, then its pid.
stop_server() {
  [[ -f $dir/data/postmaster.pid ]] || return 0
  local pid
  pid=$(head -1 "$dir/data/postmaster.pid")
  as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 && return 0
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  kill -QUIT "$pid" 2>/dev/null || true
  local i
  for i in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

case $cmd in
  start) start ;;
  stop)
    [[ -d $dir ]] || exit 0
    stop_server
    rm -rf "$dir"
    echo "postgres-server: stopped and removed $dir"
    ;;
  halt)
    [[ -d $dir/data ]] || die "no server data in $dir"
    stop_server
    ;;
  resume)
    [[ -d $dir/data ]] || die "no server data in $dir"
    port=$(port_of)
    launch "$port" || { tail -20 "$dir/log" >&2; die "the server did not start again on port $port"; }
    ;;
  uri)
    [[ -f $dir/uri ]] || die "$dir/uri is missing: start a server first ($0 start $dir)"
    cat "$dir/uri"
    ;;
  status)
    port=$(port_of)
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 5
    ;;
  *) usage ;;
esac
