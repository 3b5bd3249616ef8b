#!/usr/bin/env bash
# The README's main command: sets up and builds what is needed, then shows a checkout terminal at
# work: its configuration checked, loyaltyd started, cards swiped at the reader (a reward card, a
# bank card by mistake, a garbled read), offers loaded, a shopper enrolled, a basket rung up with
# its coupons, points and receipt, the daemon killed mid-basket and the basket back after the
# restart, and a clean stop.
# Head office and sync join this demo when they land.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '\033[2m$ %s\033[0m\n' "$*"; "$@"; }

bash scripts/setup.sh
say "Building loyaltyd and loyaltyctl (release preset)"
cmake --preset release >/dev/null
cmake --build --preset release --target loyaltyd loyaltyctl
bin=$root/build/release/terminal
export PATH="$bin:$PATH"

work=$(mktemp -d /tmp/loyalty-demo.XXXXXX)
pid=
cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

say "1. Every shipped terminal configuration is checked before a till uses it"
for config in firmware-config/examples/*.toml; do
  run loyaltyd --check-config "$config"
done

say "2. A configuration with mistakes is refused, every mistake named by file, line and key"
sed -e 's/^port = 7443/port = 99999/' \
    -e 's/^currency = "EUR"/currency = "euro"/' \
    -e 's/^prefix = "6036"/prefix = "4571"/' \
    -e 's/^debounce_ms = 1500/debounce_ms = 1500\nbaudrate = 9600/' \
    -e "s|\.\./reader-profiles/|$root/firmware-config/reader-profiles/|" \
    firmware-config/examples/terminal-serial.toml > "$work/broken-terminal.toml"
if run loyaltyd --check-config "$work/broken-terminal.toml"; then
  echo "demo: the broken configuration was accepted" >&2
  exit 1
fi

say "3. Terminal S0001-T01 starts: private data dir, POS sockets, card reader (a FIFO stands in for it)"
cp firmware-config/examples/terminal-dev.toml "$work/terminal.toml"
mkdir -p "$work/dev-terminal"
mkfifo "$work/dev-terminal/reader.fifo"
ctl() { run loyaltyctl --config "$work/terminal.toml" "$@"; }
start() {
  loyaltyd --config "$work/terminal.toml" 2>>"$work/loyaltyd.log" &
  pid=$!
  for _ in $(seq 100); do grep -q ' ready' "$work/loyaltyd.log" 2>/dev/null && return; sleep 0.1; done
  echo "demo: loyaltyd did not start" >&2; cat "$work/loyaltyd.log" >&2; exit 1
}
start
cat "$work/loyaltyd.log"
ls -l "$work/dev-terminal"
ctl status

say "4. Cards at the reader: a reward card, a bank card swiped by mistake, a garbled read"
printf ';6036000000000013=4912101?\n' > "$work/dev-terminal/reader.fifo"
sleep 0.3
ctl swipe ';6036000000123450=4912101?' || true
ctl swipe ';4111111111111111=2812201123400000?' || true
ctl swipe ';6036000000000013=49' || true
echo "-- what loyaltyd logged about them (never a bank card number):"
grep -E 'card (identified|read refused)' "$work/loyaltyd.log" | sed 's/^/   /'

say "5. Head office's offers reach the till (until sync lands, loyaltyctl imports them): milk 2 for 2.00,
   10% off bakery for members, 20 bonus points on fruit and veg, a next-visit bread coupon; 1 point per 1.00"
ctl offers import firmware-config/examples/offers-demo.json
printf '{"offers":[{"offerId":"BAD","receiptText":"x","percentOff":{"items":{"gtins":["1"]},"basisPoints":20000},"targeting":{"audience":"AUDIENCE_EVERYONE"}}]}' > "$work/bad-offers.json"
echo "-- a malformed offer is refused, and the catalog keeps what it had:"
ctl offers import "$work/bad-offers.json" || true

say "6. A new shopper enrolls at the till and buys bananas, milk and bread: coupons applied, the receipt"
cat > "$work/basket.jsonl" <<'JSON'
# one basket, as the POS sends it (JSON lines on loyaltyd's socket)
{"beginBasket":{"cashierId":"C-108"}}
{"enrollCustomer":{"cardText":"6036 0000 0012 3450","contact":{"givenName":"Jane","familyName":"Doe","email":"jane.doe@example.com","phone":"+49 30 1234567"},"consents":[{"purpose":"CONSENT_PURPOSE_PROGRAM_TERMS","granted":true},{"purpose":"CONSENT_PURPOSE_PROFILING","granted":true}]}}
{"addItem":{"gtin":"2000000012345","description":"Bananas loose","department":"produce","quantity":{"weightGrams":"1255"},"unitPrice":{"minorUnits":"199"}}}
{"addItem":{"gtin":"4006381333931","description":"Milk 1l","department":"dairy","quantity":{"units":"2"},"unitPrice":{"minorUnits":"119"}}}
{"addItem":{"gtin":"4056489123456","description":"Sourdough bread","department":"bakery","quantity":{"units":"1"},"unitPrice":{"minorUnits":"349"}}}
{"completeSale":{"tenders":[{"kind":"TENDER_KIND_CASH","amount":{"minorUnits":"2000"}}]}}
JSON
ctl basket run "$work/basket.jsonl"
ctl customer show 6036000000123450

say "7. The till loses power mid-basket (SIGKILL); after the restart the basket is still there"
cat > "$work/half-basket.jsonl" <<'JSON'
{"beginBasket":{"cashierId":"C-108"}}
{"addItem":{"gtin":"4006381333931","description":"Milk 1l","department":"dairy","quantity":{"units":"6"},"unitPrice":{"minorUnits":"119"}}}
{"addItem":{"gtin":"4056489123456","description":"Sourdough bread","department":"bakery","quantity":{"units":"1"},"unitPrice":{"minorUnits":"349"}}}
JSON
ctl basket run "$work/half-basket.jsonl"
run kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
pid=
start
ctl status
printf '{"completeSale":{"tenders":[{"kind":"TENDER_KIND_CARD","amount":{"minorUnits":"1000"}},{"kind":"TENDER_KIND_CASH","amount":{"minorUnits":"500"}}]}}\n' > "$work/finish.jsonl"
ctl basket run "$work/finish.jsonl"

say "8. loyaltyd stops cleanly on SIGTERM, as systemd stops it"
run kill -TERM "$pid"
wait "$pid"
pid=
tail -n 3 "$work/loyaltyd.log"

say "Done. Two sales and an enrollment wait in the outbox for head office (sync comes next). Tests: bash scripts/test.sh"
