#!/usr/bin/env bash
# Installs the Debian bookworm packages caf-cluster needs. Idempotent: when every
# package is already installed it does nothing (no apt-get update either).
set -euo pipefail

packages=(
  g++ cmake ninja-build
  libcaf-dev        # CAF 0.17.6: core + io (middleman) + openssl (mutual TLS)
  libssl-dev        # OpenSSL's headers: CAF's OpenSSL module includes them
  openssl           # scripts/make-test-ca.sh (test certificates)
  libboost-dev      # Asio and Beast (header-only)
  libsqlitecpp-dev libsqlite3-dev
  doctest-dev
  doxygen           # the API reference (scripts/check-docs.sh)
  libcli11-dev      # cluster-ctl's command line (header-only)
  jq                # the CLI tests read cluster-ctl --json with it
  curl              # the gateway tests' HTTP client
  python3-prometheus-client  # the gateway tests parse /metrics with Prometheus' own parser
  tzdata            # zone names in cron expressions (/usr/share/zoneinfo)
  libpqxx-dev       # libpqxx 6.4 (C++ client of PostgreSQL; pulls in libpq-dev)
  postgresql        # PostgreSQL 15: the tests' own server (scripts/postgres-server.sh)
  nlohmann-json3-dev  # JSON of the gateway's entity and workflow endpoints (header-only)
  chromium          # the dashboard test loads the page headless
  python3-websockets  # the WebSocket client of the gateway tests
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "bootstrap: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "bootstrap: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "bootstrap: installing ${missing[*]}"
# Through env: sudo drops the caller's environment (tzdata would ask for a zone).
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
