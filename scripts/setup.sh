#!/usr/bin/env bash
# Installs every Debian 12 package the project needs, and nothing that is already there.
# Idempotent: each package is checked with dpkg-query; apt-get runs only for what is missing.
# Both README commands (scripts/demo.sh and scripts/test.sh) call this first. Packages named as
# arguments are installed as well (scripts/tls-audit.sh asks for testssl.sh this way).
set -euo pipefail

# Keep this list in step with the "Dependencies" table of README.md.
packages=(
  # toolchain
  g++ cmake ninja-build pkg-config git clang-format
  clang libclang-rt-14-dev   # the fuzz preset: libFuzzer with ASan + UBSan
  # libraries
  libboost1.81-dev    # Asio (C++20 coroutines, SSL), Beast; never libboost-dev (1.74), which conflicts
  libsqlite3-dev      # local store and head-office store
  protobuf-compiler libprotobuf-dev   # proto/ schema, protoc 3.21
  libssl-dev openssl  # OpenSSL 3: TLS 1.3 for sync; the openssl tool for the PKI scripts
  libtomlplusplus-dev # terminal configuration (TOML)
  libcli11-dev        # command lines
  libspdlog-dev libfmt-dev   # logs
  libhowardhinnant-date-dev tzdata   # store time zones (GCC 12 has no std::chrono tz database)
  catch2              # tests (Catch2 2.13)
  socat               # tests: a pty pair stands in for a serial card reader
  libpq-dev           # head office's PostgreSQL backend (libpq 15)
  postgresql-15 postgresql-common   # tests: a throw-away PostgreSQL server (scripts/pg-test-server.sh)
  "$@"                # what the calling script needs besides
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: these packages are missing and installing them needs root: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
