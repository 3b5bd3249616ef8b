#!/usr/bin/env bash
# What a TLS assessor sees of head office: testssl.sh (Debian's package testssl.sh, installed by
# scripts/setup.sh when missing) against `loyalty-hq serve` on loopback with a fresh demo PKI, the
# chain CA given with --add-ca. Prints every finding rated MEDIUM or worse (testssl's JSON), then
# the full report's path; exits non-zero only when the audit itself could not run. The findings of
# the last run and why each stays: docs/security.md.
#
#   bash scripts/tls-audit.sh            # uses build/release/hq/loyalty-hq (builds it if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bash scripts/setup.sh testssl.sh >/dev/null
hq=${LOYALTY_HQ:-$root/build/release/hq/loyalty-hq}
if [[ ! -x $hq ]]; then
  cmake --preset release >/dev/null
  cmake --build --preset release --target loyalty-hq
fi
work=$(mktemp -d /tmp/loyalty-tls-audit.XXXXXX)
pid=""
trap '[[ -n $pid ]] && kill "$pid" 2>/dev/null; true' EXIT
pki=$root/firmware-config/pki/pki.sh
bash "$pki" init "$work/pki" >/dev/null
bash "$pki" server "$work/pki" 127.0.0.1 localhost >/dev/null
port=$(( 20000 + RANDOM % 20000 ))
cat >"$work/hq.toml" <<TOML
currency = "EUR"
[server]
listen = "127.0.0.1"
port = $port
[tls]
ca_file = "pki/ca.pem"
cert_file = "pki/server.pem"
key_file = "pki/server.key"
crl_file = "pki/crl.pem"
[storage]
database = "hq.db"
TOML
"$hq" --config "$work/hq.toml" serve 2>"$work/hq.log" &
pid=$!
for _ in $(seq 100); do grep -q "serving terminals" "$work/hq.log" && break; sleep 0.1; done
grep -q "serving terminals" "$work/hq.log" || { echo "tls-audit: loyalty-hq did not start:" >&2; cat "$work/hq.log" >&2; exit 1; }
echo "==> testssl $(testssl --version 2>/dev/null | grep -o 'testssl *[0-9.]*' | head -n 1) against loyalty-hq on 127.0.0.1:$port"
testssl --add-ca "$work/pki/ca.pem" --color 0 --warnings off --quiet --jsonfile "$work/testssl.json" \
  "127.0.0.1:$port" >"$work/testssl.txt" 2>&1 || true
[[ -s $work/testssl.json ]] || { echo "tls-audit: testssl wrote no findings:" >&2; tail -n 20 "$work/testssl.txt" >&2; exit 1; }
echo "==> findings rated MEDIUM, HIGH or CRITICAL"
# One finding per JSON object: {"id": ..., "severity": ..., "finding": ...}.
tr -d '\n' <"$work/testssl.json" | sed 's/},/}\n/g' |
  grep -E '"severity" *: *"(MEDIUM|HIGH|CRITICAL)"' |
  sed -E 's/.*"id" *: *"([^"]*)".*"severity" *: *"([^"]*)".*"finding" *: *"([^"]*)".*/\2  \1: \3/' || echo "none"
echo "==> full report: $work/testssl.txt (JSON: $work/testssl.json); head office's log: $work/hq.log"
