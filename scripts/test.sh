#!/usr/bin/env bash
# The README's test command: installs what is missing, checks that every C++ file is formatted as
# .clang-format says, builds the libFuzzer targets (fuzz preset, clang) and runs each for a fixed
# number of inputs, then builds and runs the whole test suite in the dev (debug) preset and in the
# asan (AddressSanitizer + UBSan) preset. The release preset (what the demo runs) is built first.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "==> format: clang-format --dry-run on every C++ file"
git ls-files -z '*.cpp' '*.hpp' | xargs -0 clang-format --dry-run --Werror

# The release build is what the demo runs and what the benchmarks measure: prove it builds.
echo "==> release: configure, build (binaries and benchmarks)"
cmake --preset release >/dev/null
cmake --build --preset release

for preset in fuzz dev asan; do
  echo "==> $preset: configure, build, test"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  ctest --preset "$preset"
done
