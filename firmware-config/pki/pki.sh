#!/usr/bin/env bash
# The chain's certificate authority for sync (spec §4), with the openssl command-line tool only.
# Every key is ECDSA P-256; certificates are signed with SHA-256. See docs/operations.md.
#
#   pki.sh init     DIR                       create the chain CA and an empty revocation list
#   pki.sh server   DIR HOST [HOST...]        issue head office's server certificate (names: DNS or IP)
#   pki.sh terminal DIR STORE TERMINAL        issue a terminal's certificate (O=chain, OU=STORE, CN=TERMINAL)
#   pki.sh revoke   DIR NAME                  revoke every certificate of terminal NAME (all its renewals),
#                                             or with NAME "server" head office's current one
#   pki.sh revoke-serial DIR SERIAL           revoke one certificate by its serial (hex, as `list` shows)
#   pki.sh list     DIR                       every certificate issued: status, serial, expiry, subject
#   pki.sh crl      DIR                       publish the revocation list again (crl.pem)
#
# Options (before the command): --days N (validity of new certificates, default 825),
# --expired (issue a certificate that expired yesterday: for tests of refusal), --crl-days N
# (how long a published revocation list is good for, default 30), --crl-expired (publish a list
# whose next update was yesterday: for tests).
# Files in DIR: ca.key (keep offline in production), ca.pem (give to every terminal and head
# office), crl.pem (give to head office, and to terminals when they are installed; head office
# hands newer ones to the terminals), NAME.key / NAME.pem per certificate issued, issued/SERIAL.pem
# every certificate ever issued, index.txt the CA's record of them.
#
# The revocation list must be published again before its next update (every --crl-days): head
# office warns from 7 days before and refuses every terminal once it has expired
# (docs/operations.md "Revocation").
set -euo pipefail

days=825
expired=0
crl_days=30
crl_expired=0
while [[ $# -gt 0 && $1 == --* ]]; do
  case $1 in
    --days) days=$2; shift 2 ;;
    --expired) expired=1; shift ;;
    --crl-days) crl_days=$2; shift 2 ;;
    --crl-expired) crl_expired=1; shift ;;
    *) echo "pki.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ $# -ge 2 ]] || { sed -n 5,15p "$0" >&2; exit 2; }
command=$1
dir=$2
shift 2

chain_name=${LOYALTY_CHAIN_NAME:-Example Grocer}
# ca.cnf reads the server names from the environment; other commands do not use them.
export LOYALTY_SAN=${LOYALTY_SAN:-DNS:localhost}

# openssl ca needs a small database and a config naming it.
write_config() {
  cat >"$dir/ca.cnf" <<EOF
[ ca ]
default_ca = chain
[ chain ]
dir = $dir
database = \$dir/index.txt
new_certs_dir = \$dir/issued
serial = \$dir/serial
crlnumber = \$dir/crlnumber
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
default_md = sha256
default_crl_days = 30
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
organizationName = optional
organizationalUnitName = optional
commonName = supplied
[ server_ext ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = \${ENV::LOYALTY_SAN}
[ terminal_ext ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
EOF
}

new_key() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
  chmod 600 "$1"
}

# issue NAME SUBJECT EXTENSIONS
issue() {
  local name=$1 subject=$2 extensions=$3
  [[ -f $dir/ca.pem ]] || { echo "pki.sh: no CA in $dir (run: pki.sh init $dir)" >&2; exit 1; }
  new_key "$dir/$name.key"
  openssl req -new -key "$dir/$name.key" -subj "$subject" -out "$dir/$name.csr"
  local validity=(-days "$days")
  if [[ $expired == 1 ]]; then
    validity=(-startdate "$(date -u -d '-3 days' +%Y%m%d%H%M%SZ)" -enddate "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)")
  fi
  openssl ca -batch -notext -config "$dir/ca.cnf" -extensions "$extensions" "${validity[@]}" \
    -in "$dir/$name.csr" -out "$dir/$name.pem" 2>/dev/null
  rm -f "$dir/$name.csr"
  echo "issued $dir/$name.pem ($subject)"
}

publish_crl() {
  local validity=(-crldays "$crl_days")
  if [[ $crl_expired == 1 ]]; then
    validity=(-crl_lastupdate "$(date -u -d '-3 days' +%Y%m%d%H%M%SZ)" -crl_nextupdate "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)")
  fi
  local out
  out=$(openssl ca -gencrl -config "$dir/ca.cnf" "${validity[@]}" -out "$dir/crl.pem.new" 2>&1) ||
    { echo "pki.sh: the revocation list could not be published: $out" >&2; exit 1; }
  mv "$dir/crl.pem.new" "$dir/crl.pem"  # head office polls the file: never let it see half of one
  echo "published $dir/crl.pem ($(openssl crl -in "$dir/crl.pem" -noout -nextupdate))"
}

# The serials of the certificates in index.txt still valid whose subject ends in /CN=NAME.
valid_serials_of() {
  awk -F'\t' -v cn="/CN=$1" '$1 == "V" && substr($6, length($6) - length(cn) + 1) == cn { print $4 }' "$dir/index.txt"
}

# The serials in index.txt already revoked whose subject ends in /CN=NAME.
revoked_serials_of() {
  awk -F'\t' -v cn="/CN=$1" '$1 == "R" && substr($6, length($6) - length(cn) + 1) == cn { print $4 }' "$dir/index.txt"
}

revoke_file() {
  local out
  out=$(openssl ca -config "$dir/ca.cnf" -revoke "$1" -crl_reason keyCompromise 2>&1) ||
    { echo "pki.sh: $1 could not be revoked: $out" >&2; publish_crl; exit 1; }
  echo "revoked $1 (serial $(openssl x509 -in "$1" -noout -serial | cut -d= -f2))"
}

case $command in
  init)
    mkdir -p "$dir/issued"
    dir=$(cd "$dir" && pwd)
    [[ -f $dir/ca.pem ]] && { echo "pki.sh: $dir already holds a CA" >&2; exit 1; }
    write_config
    : >"$dir/index.txt"
    echo 1000 >"$dir/serial"
    echo 1000 >"$dir/crlnumber"
    new_key "$dir/ca.key"
    openssl req -new -x509 -key "$dir/ca.key" -sha256 -days 3650 -subj "/O=$chain_name/CN=$chain_name loyalty chain CA" \
      -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$dir/ca.pem"
    echo "created chain CA $dir/ca.pem"
    publish_crl
    ;;
  server)
    dir=$(cd "$dir" && pwd)
    [[ $# -ge 1 ]] || { echo "pki.sh server: name the host(s) head office is reached at" >&2; exit 2; }
    san=""
    for host in "$@"; do
      if [[ $host =~ ^[0-9.]+$ || $host == *:* ]]; then san+="IP:$host,"; else san+="DNS:$host,"; fi
    done
    LOYALTY_SAN=${san%,} issue server "/O=$chain_name/CN=$1" server_ext
    ;;
  terminal)
    dir=$(cd "$dir" && pwd)
    [[ $# -eq 2 ]] || { echo "pki.sh terminal: give STORE and TERMINAL, e.g. S0042 S0042-T03" >&2; exit 2; }
    store=$1 terminal=$2
    [[ $store =~ ^[A-Za-z0-9_-]{1,32}$ && $terminal =~ ^[A-Za-z0-9_-]{1,32}$ ]] ||
      { echo "pki.sh terminal: store and terminal ids are 1-32 letters, digits, _ or -" >&2; exit 2; }
    issue "$terminal" "/O=$chain_name/OU=$store/CN=$terminal" terminal_ext
    ;;
  revoke)
    dir=$(cd "$dir" && pwd)
    [[ $# -eq 1 ]] || { echo "pki.sh revoke: name one terminal id (or server)" >&2; exit 2; }
    if [[ $1 == server ]]; then
      [[ -f $dir/server.pem ]] || { echo "pki.sh revoke: no certificate $dir/server.pem" >&2; exit 1; }
      revoke_file "$dir/server.pem"
    else
      serials=$(valid_serials_of "$1")
      if [[ -z $serials ]]; then
        [[ -n $(revoked_serials_of "$1") ]] || { echo "pki.sh revoke: no certificate of $1 in $dir/index.txt" >&2; exit 1; }
        echo "every certificate of $1 is revoked already; publishing the list again"
      fi
      for serial in $serials; do revoke_file "$dir/issued/$serial.pem"; done
    fi
    publish_crl
    ;;
  revoke-serial)
    dir=$(cd "$dir" && pwd)
    serial=${1:-}
    serial=${serial^^}
    [[ $# -eq 1 && -f $dir/issued/$serial.pem ]] || { echo "pki.sh revoke-serial: no certificate with serial ${1:-?} in $dir/issued" >&2; exit 1; }
    if awk -F'\t' -v s="$serial" '$4 == s && $1 == "R" { found = 1 } END { exit !found }' "$dir/index.txt"; then
      echo "serial $serial is revoked already; publishing the list again"
    else
      revoke_file "$dir/issued/$serial.pem"
    fi
    publish_crl
    ;;
  list)
    dir=$(cd "$dir" && pwd)
    awk -F'\t' '{ status = ($1 == "V" ? "valid" : $1 == "R" ? "revoked" : $1 == "E" ? "expired" : $1);
                   printf "%-8s %-8s %s %s\n", status, $4, $2, $6 }' "$dir/index.txt"
    ;;
  crl)
    dir=$(cd "$dir" && pwd)
    publish_crl
    ;;
  *)
    echo "pki.sh: unknown command $command" >&2
    exit 2
    ;;
esac
