#!/usr/bin/env bash
# Makes a throw-away certificate authority and certificates for trying mutual
# TLS (cluster.tls.*) and for the tests, with the openssl command line tool:
#   DIR/ca.pem                      the cluster's CA (give it as cluster.tls.ca-file)
#   DIR/runner.pem, DIR/runner.key  a runner's certificate and key
#   DIR/client.pem, DIR/client.key  a client's certificate and key
#   DIR/other-ca.pem, DIR/other.pem, DIR/other.key
#                                   an unrelated CA and a certificate it signed
#                                   (what a stranger would present)
# Usage: scripts/make-test-ca.sh DIR   (keys are EC P-256, valid 30 days; never
# use these for production: the CA key lies next to them).
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
command -v openssl >/dev/null || { echo "$0: the openssl command is missing (Debian package openssl)" >&2; exit 1; }
dir=$1
mkdir -p "$dir"
cd "$dir"
umask 077

# make_ca NAME SUBJECT: a self-signed CA NAME.pem with key NAME.key.
make_ca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$1.key" -out "$1.pem" -days 30 -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# make_cert NAME CA SUBJECT: NAME.pem (with key NAME.key) signed by CA, usable
# by both ends of a connection (CAF's nodes are servers and clients).
make_cert() {
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$1.key" -out "$1.csr" -subj "/CN=$3" 2>/dev/null
  printf '%s\n' "basicConstraints=CA:FALSE" \
    "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth,clientAuth" \
    "subjectAltName=DNS:localhost,IP:127.0.0.1" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" \
    -CAcreateserial -out "$1.pem" -days 30 -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

make_ca ca "caf-cluster test CA"
make_cert runner ca "caf-cluster runner"
make_cert client ca "caf-cluster client"
make_ca other-ca "unrelated CA"
make_cert other other-ca "stranger"
rm -f ./*.srl
echo "$dir: ca.pem runner.pem runner.key client.pem client.key other-ca.pem other.pem other.key"
