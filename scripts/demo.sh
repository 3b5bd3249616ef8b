#!/usr/bin/env bash
# The README's main command: sets up and builds what is needed, then shows the terminal daemon
# doing what it does today: validating terminal configurations (and refusing a broken one with
# file, line and key), preparing a terminal's private local store, and running until SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

bash scripts/setup.sh
say "Building loyaltyd (release preset)"
cmake --preset release >/dev/null
cmake --build --preset release --target loyaltyd
loyaltyd=$root/build/release/terminal/loyaltyd

work=$(mktemp -d /tmp/loyalty-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT

say "1. Every shipped terminal configuration is checked before a till uses it"
for config in firmware-config/examples/*.toml; do
  "$loyaltyd" --check-config "$config"
done

say "2. A configuration with mistakes is refused, every mistake named by file, line and key"
sed -e 's/^port = 7443/port = 99999/' \
    -e 's/^currency = "EUR"/currency = "euro"/' \
    -e 's/^debounce_ms = 1500/debounce_ms = 1500\nbaudrate = 9600/' \
    -e "s|\.\./reader-profiles/|$root/firmware-config/reader-profiles/|" \
    firmware-config/examples/terminal-serial.toml > "$work/broken-terminal.toml"
echo "\$ loyaltyd --check-config broken-terminal.toml"
if "$loyaltyd" --check-config "$work/broken-terminal.toml"; then
  echo "demo: the broken configuration was accepted" >&2
  exit 1
fi

say "3. A terminal prepares its private local store (data dir 0700, database 0600, WAL, schema migrations)"
cp firmware-config/examples/terminal-dev.toml "$work/terminal.toml"
"$loyaltyd" --config "$work/terminal.toml" --init-store
ls -ld "$work/dev-terminal/data"
ls -l "$work/dev-terminal/data"

say "4. loyaltyd runs as systemd would run it, and stops cleanly on SIGTERM"
"$loyaltyd" --config "$work/terminal.toml" 2>"$work/loyaltyd.log" &
pid=$!
for _ in $(seq 100); do
  grep -q ready "$work/loyaltyd.log" && break
  sleep 0.1
done
kill -TERM "$pid"
wait "$pid"
cat "$work/loyaltyd.log"

say "Done. The test suite: bash scripts/test.sh"
