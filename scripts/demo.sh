#!/usr/bin/env bash
# The README's main command: a store shift. Sets up and builds what is needed, makes a demo PKI
# (the chain's CA, head office's server certificate, one certificate per till) in a temporary
# folder, starts loyalty-hq and one till in each of two stores on loopback (card readers on socat
# ptys), and drives the shift: offers published at head office reach the tills, reward cards
# swiped (and a bank card refused), a shopper enrolls and buys with coupons applied, head office
# sees the sale within a second, the link to head office is cut while a till keeps selling, then
# restored and drained, the new shopper is recognised in the other store, and head office's
# summary closes the day. Everything is stopped cleanly at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
note() { printf '   %s\n' "$*"; }
run() { printf '\033[2m$ %s\033[0m\n' "$*"; "$@"; }

bash scripts/setup.sh
say "Building loyalty-hq, loyaltyd and loyaltyctl (release preset)"
cmake --preset release >/dev/null
cmake --build --preset release --target loyalty-hq loyaltyd loyaltyctl
export PATH="$root/build/release/hq:$root/build/release/terminal:$PATH"

work=$(mktemp -d /tmp/loyalty-shift.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

wait_for() {  # FILE TEXT [SKIP_BYTES]: until FILE holds TEXT after its first SKIP_BYTES bytes
  for _ in $(seq 200); do
    tail -c +"$((${3:-0} + 1))" "$1" 2>/dev/null | grep -q -- "$2" && return 0
    sleep 0.05
  done
  echo "demo: '$2' never appeared in $1" >&2; tail -n 20 "$1" >&2; exit 1
}
size() { stat -c %s "$1" 2>/dev/null || echo 0; }

# Track 2 of a magnetic stripe as the USB-serial reader sends it: sentinels, LRC, carriage return.
swipe() {  # STORE TRACK2
  local track=$2 lrc=0 i c
  for ((i = 0; i < ${#track}; i++)); do
    printf -v c '%d' "'${track:i:1}"
    lrc=$((lrc ^ ((c - 48) & 15)))
  done
  printf '%s%b\r' "$track" "\\x$(printf '%x' $((lrc + 48)))" > "$work/$1/device"
}

say "1. The chain's certificate authority (openssl, ECDSA P-256): head office and one certificate per till"
pki=$root/firmware-config/pki/pki.sh
run bash "$pki" init "$work/pki" | tail -n 1
run bash "$pki" server "$work/pki" 127.0.0.1 | tail -n 1
run bash "$pki" terminal "$work/pki" S0001 S0001-T01 | tail -n 1
run bash "$pki" terminal "$work/pki" S0002 S0002-T01 | tail -n 1

say "2. Head office starts: TLS 1.3 with client certificates on 127.0.0.1:7443, SQLite in its data dir"
cat > hq.toml <<EOF
currency = "EUR"
[server]
listen = "127.0.0.1"
port = 7443
[tls]
ca_file = "pki/ca.pem"
cert_file = "pki/server.pem"
key_file = "pki/server.key"
crl_file = "pki/crl.pem"
[storage]
database = "hq-data/hq.db"
EOF
hq() { run loyalty-hq --config "$work/hq.toml" "$@"; }
start_hq() {
  local from; from=$(size hq.log)
  loyalty-hq --config "$work/hq.toml" serve 2>>hq.log &
  hq_pid=$!
  pids+=("$hq_pid")
  wait_for hq.log "serving terminals" "$from"
}
hq check-config
start_hq
tail -n 1 hq.log

say "3. Head office publishes the week's offers; they go to every till through sync"
hq offer add "$root/firmware-config/examples/offers-demo.json"
hq offer list

say "4. Two stores open: a till in Amsterdam (S0001) and one in Utrecht (S0002), card readers on serial ptys"
start_till() {  # STORE TERMINAL
  local dir=$work/$1
  mkdir -p "$dir"
  socat "pty,raw,echo=0,link=$dir/reader-tty" "pty,raw,echo=0,link=$dir/device" 2>/dev/null &
  pids+=("$!")
  for _ in $(seq 100); do [[ -e $dir/device && -e $dir/reader-tty ]] && break; sleep 0.05; done
  sed -e "s/^store_id = .*/store_id = \"$1\"/" -e "s/^terminal_id = .*/terminal_id = \"$2\"/" \
      -e "s|^device = .*|device = \"$dir/reader-tty\"|" \
      -e "s|^profile = .*|profile = \"$root/firmware-config/reader-profiles/usb-serial-magstripe.toml\"|" \
      -e "s|^socket = .*|socket = \"$dir/pos.sock\"|" -e "s|^json_socket = .*|json_socket = \"$dir/pos-json.sock\"|" \
      -e "s|^data_dir = .*|data_dir = \"$dir/data\"|" -e "s/^port = .*/port = 7443/" -e "s/^host = .*/host = \"127.0.0.1\"/" \
      -e "s|^ca_file = .*|ca_file = \"$work/pki/ca.pem\"|" -e "s|^cert_file = .*|cert_file = \"$work/pki/$2.pem\"|" \
      -e "s|^key_file = .*|key_file = \"$work/pki/$2.key\"|" -e "s|^crl_file = .*|crl_file = \"$work/pki/crl.pem\"|" \
      "$root/firmware-config/examples/terminal-serial.toml" > "$dir/terminal.toml"
  loyaltyd --config "$dir/terminal.toml" 2>>"$dir/loyaltyd.log" &
  pids+=("$!")
  wait_for "$dir/loyaltyd.log" "catalog .* applied"
}
ctl() { local store=$1; shift; run loyaltyctl --config "$work/$store/terminal.toml" "$@"; }
start_till S0001 S0001-T01
start_till S0002 S0002-T01
grep -h -E "sync: (connected|catalog)|live offer" S0001/loyaltyd.log | sed 's/^/   S0001 | /'
ctl S0001 status

say "5. S0001: a bank card swiped by mistake, then a shopper's new reward card (not known to anyone yet)"
swipe S0001 ';4111111111111111=2812201123400000?'
sleep 0.2
swipe S0001 ';6036000000123450=4912101?'
sleep 0.5
note "what the till logged (a bank card number is never stored, logged or sent):"
grep -E 'card (identified|read refused)' S0001/loyaltyd.log | sed 's/^/   S0001 | /'

say "6. S0001: she enrolls with that card at the till and buys milk, bread and bananas; offers apply at once"
cat > basket-jane.jsonl <<'JSON'
{"beginBasket":{"cashierId":"C-108"}}
{"enrollCustomer":{"cardText":"6036 0000 0012 3450","contact":{"givenName":"Jane","familyName":"Doe","email":"jane.doe@example.com","phone":"+49 30 1234567"},"consents":[{"purpose":"CONSENT_PURPOSE_PROGRAM_TERMS","granted":true},{"purpose":"CONSENT_PURPOSE_PROFILING","granted":true}]}}
{"addItem":{"gtin":"2000000012345","description":"Bananas loose","department":"produce","quantity":{"weightGrams":"1255"},"unitPrice":{"minorUnits":"199"}}}
{"addItem":{"gtin":"4006381333931","description":"Milk 1l","department":"dairy","quantity":{"units":"2"},"unitPrice":{"minorUnits":"119"}}}
{"addItem":{"gtin":"4056489123456","description":"Sourdough bread","department":"bakery","quantity":{"units":"1"},"unitPrice":{"minorUnits":"349"}}}
{"completeSale":{"tenders":[{"kind":"TENDER_KIND_CASH","amount":{"minorUnits":"2000"}}]}}
JSON
ctl S0001 basket run basket-jane.jsonl

say "7. Head office has the sale and the new customer within a second; her points are on head office's ledger"
sleep 1
hq report summary | head -n 5
jane=$(loyaltyctl --config "$work/S0001/terminal.toml" customer show 6036000000123450 | grep -oE 'S0001-T01-[0-9A-Z]{5}-C[0-9]+')
hq customer show "$jane" | grep -E '"(customerId|givenName|pointsBalance|tier)"'

say "8. The link to head office is cut (head office stopped); the Utrecht till keeps selling offline"
run kill -TERM "$hq_pid"
wait "$hq_pid" 2>/dev/null || true
cat > basket-offline.jsonl <<'JSON'
{"beginBasket":{"cashierId":"C-201"}}
{"addItem":{"gtin":"4006381333931","description":"Milk 1l","department":"dairy","quantity":{"units":"4"},"unitPrice":{"minorUnits":"119"}}}
{"addItem":{"gtin":"4056489123456","description":"Sourdough bread","department":"bakery","quantity":{"units":"2"},"unitPrice":{"minorUnits":"349"}}}
{"completeSale":{"tenders":[{"kind":"TENDER_KIND_CASH","amount":{"minorUnits":"2000"}}]}}
JSON
for _ in 1 2 3; do ctl S0002 basket run basket-offline.jsonl | grep -E '^(Sale|TOTAL)'; done
ctl S0002 status

say "9. Head office is back: the till reconnects (backoff with jitter) and its backlog drains in order"
start_hq
sleep 0.5
for _ in $(seq 100); do
  loyaltyctl --config "$work/S0002/terminal.toml" status | grep -q 'Outbox    0 ' && break
  sleep 0.2
done
ctl S0002 status
hq terminals

say "10. Later, Jane shops in Utrecht: head office sent her to every till, so S0002 knows her card"
swipe S0002 ';6036000000123450=4912101?'
sleep 0.5
grep -E 'card identified' S0002/loyaltyd.log | tail -n 1 | sed 's/^/   S0002 | /'
cat > basket-utrecht.jsonl <<'JSON'
{"beginBasket":{"cashierId":"C-201"}}
{"addItem":{"gtin":"4056489123456","description":"Sourdough bread","department":"bakery","quantity":{"units":"1"},"unitPrice":{"minorUnits":"349"}}}
{"addItem":{"gtin":"4006381333931","description":"Milk 1l","department":"dairy","quantity":{"units":"2"},"unitPrice":{"minorUnits":"119"}}}
{"completeSale":{"tenders":[{"kind":"TENDER_KIND_CASH","amount":{"minorUnits":"1000"}}]}}
JSON
ctl S0002 basket run basket-utrecht.jsonl
note "what the Utrecht till holds about her, by a byte search (grep -a) of its database and WAL:"
for f in "$work/S0002/data/terminal.db" "$work/S0002/data/terminal.db-wal"; do
  [[ -e $f ]] || continue
  printf '   %s: e-mail %s times, phone %s, family name %s (her card: %s)\n' "${f#"$work"/}" \
    "$(grep -a -c 'jane.doe@example.com' "$f" || true)" "$(grep -a -c -e '+49301234567' -e '30 1234567' "$f" || true)" \
    "$(grep -a -c 'Doe' "$f" || true)" "$(grep -a -c '6036000000123450' "$f" || true)"
done

say "11. Head office aims a campaign: bakery shoppers get a 20% coupon; it reaches the tills and is redeemed"
note "(one shopper here, so no control group; step 15 runs one with a control group on a whole generated chain)"
today=$(date -u +%F)
cat > campaign-bread.toml <<TOML
id = "BREAD-LOVERS"
name = "Bread lovers: 20% off bakery"
starts = $today
ends = $(date -u -d '+14 days' +%F)
control_percent = 0
per_customer = 1
budget = 100.00
[audience]
[[audience.bought]]
department = "bakery"
within_days = 30
[offer]
name = "20% off bakery, just for you"
receipt_text = "Your coupon: 20% off bakery"
percent_off = { items = { departments = ["bakery"] }, basis_points = 2000 }
TOML
hq campaign add campaign-bread.toml | tee campaign-add.out
version=$(sed -n 's/^catalog version \([0-9]*\).*/\1/p' campaign-add.out)
for _ in $(seq 50); do  # the till has the assignment once it holds that catalog version
  held=$(loyaltyctl --config "$work/S0002/terminal.toml" status | sed -n 's/^Catalog   version //p')
  [ "${held:-0}" -ge "$version" ] && break
  sleep 0.2
done
swipe S0002 ';6036000000123450=4912101?'
sleep 0.5
cat > basket-coupon.jsonl <<'JSON'
{"beginBasket":{"cashierId":"C-201"}}
{"addItem":{"gtin":"4056489123456","description":"Sourdough bread","department":"bakery","quantity":{"units":"2"},"unitPrice":{"minorUnits":"349"}}}
{"completeSale":{"tenders":[{"kind":"TENDER_KIND_CASH","amount":{"minorUnits":"1000"}}]}}
JSON
ctl S0002 basket run basket-coupon.jsonl | grep -E '^(Sale|Subtotal|  [A-Z].*-[0-9]|TOTAL)'
sleep 1
hq report campaigns

say "12. Close of day at head office: sales per store, offers redeemed, the fleet, conflicts"
sleep 1
hq report summary
hq terminals
hq conflicts

say "13. The Utrecht till is reported stolen: every certificate it had is revoked; head office cuts it within seconds"
from=$(size hq.log)
run bash "$pki" revoke "$work/pki" S0002-T01 | tail -n 2
wait_for hq.log "is revoked by the new revocation list" "$from"
wait_for hq.log "certificate revoked" "$from"
tail -c +"$((from + 1))" hq.log | grep -E "revoked by the new revocation list|refused at the TLS handshake" | head -n 2 |
  cut -c 1-160 | sed 's/^/   hq | /'
note "(the till sells on offline; its sales wait in its outbox for a new certificate)"

say "14. Everything stops cleanly (SIGTERM, as systemd stops it)"
for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
pids=()
tail -n 1 hq.log
tail -n 1 S0001/loyaltyd.log
tail -n 1 S0002/loyaltyd.log
say "15. What head office learns from a whole chain: 1,000 generated shoppers over six weeks (a separate database)"
note "profiles (consenting shoppers only), segments, products bought together, a campaign with a control group,"
note "fraud signals, erasure"
sed -e 's|^database = .*|database = "chain-data/hq.db"|' hq.toml > chain.toml
for n in 1 2 3 4; do  # 22 km apart, north to south
  printf '[[stores]]\nid = "S000%s"\nlatitude = 52.%s\nlongitude = 5.0\n' "$n" "$(( 2 * n ))" >> chain.toml
done
chain() { run loyalty-hq --config "$work/chain.toml" "$@"; }
chain generate --seed 42 --customers 1000 --days 42 --fraud
chain profiles refresh
chain report sales --by department
chain report customers --by segment
chain report bought-together --top 4
sed -e "s/^starts = .*/starts = $today/" -e "s/^ends = .*/ends = $(date -u -d '+14 days' +%F)/" \
  "$root/firmware-config/examples/campaign-bakery.toml" > chain-campaign.toml
chain campaign add chain-campaign.toml
chain campaign list
chain customer profile S0001-T01-SYNTH-C000001
chain alerts --days 42
chain customer erase S0001-T01-SYNTH-C000001
chain report sales --by store --format csv

say "Done. Tests: bash scripts/test.sh"
