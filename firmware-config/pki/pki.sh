#!/usr/bin/env bash
# The chain's certificate authority for sync (spec §4), with the openssl command-line tool only.
# Every key is ECDSA P-256; certificates are signed with SHA-256. See docs/operations.md.
#
#   pki.sh init     DIR                       create the chain CA and an empty revocation list
#   pki.sh server   DIR HOST [HOST...]        issue head office's server certificate (names: DNS or IP)
#   pki.sh terminal DIR STORE TERMINAL        issue a terminal's certificate (O=chain, OU=STORE, CN=TERMINAL)
#   pki.sh revoke   DIR NAME                  revoke NAME's certificate (a terminal id or "server")
#   pki.sh crl      DIR                       publish the revocation list again (crl.pem)
#
# Options (before the command): --days N (validity of new certificates, default 825),
# --expired (issue a certificate that expired yesterday: for tests of refusal).
# Files in DIR: ca.key (keep offline in production), ca.pem (give to every terminal and head
# office), crl.pem (give to head office), NAME.key / NAME.pem per certificate issued.
set -euo pipefail

days=825
expired=0
while [[ $# -gt 0 && $1 == --* ]]; do
  case $1 in
    --days) days=$2; shift 2 ;;
    --expired) expired=1; shift ;;
    *) echo "pki.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ $# -ge 2 ]] || { sed -n 5,11p "$0" >&2; exit 2; }
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
  openssl ca -gencrl -config "$dir/ca.cnf" -out "$dir/crl.pem" 2>/dev/null
  echo "published $dir/crl.pem"
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
    [[ $# -eq 1 && -f $dir/$1.pem ]] || { echo "pki.sh revoke: no certificate $dir/${1:-NAME}.pem" >&2; exit 1; }
    openssl ca -config "$dir/ca.cnf" -revoke "$dir/$1.pem" -crl_reason keyCompromise 2>/dev/null
    echo "revoked $dir/$1.pem"
    publish_crl
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
