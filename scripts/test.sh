#!/usr/bin/env bash
# The README's test command: installs what is missing, then builds and runs the whole test suite
# twice, in the dev (debug) preset and in the asan (AddressSanitizer + UBSan) preset.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

for preset in dev asan; do
  echo "==> $preset: configure, build, test"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  ctest --preset "$preset"
done
