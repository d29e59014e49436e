#!/usr/bin/env bash
# Fuzzes the decoder with cargo-fuzz (libFuzzer): arbitrary bytes into `decode`, and every
# event it accepts through `redact_event`. A crash stops the run and leaves the input in
# fuzz/artifacts/TARGET/; reproduce it with `cargo fuzz run TARGET fuzz/artifacts/TARGET/crash-…`.
#
# Usage: scripts/fuzz.sh [SECONDS=60] [TARGET=decode]      (targets: decode, redact)
#
# cargo-fuzz needs nightly for its -Z flags. An installed nightly toolchain is used if there
# is one; otherwise stable is told to accept nightly flags (RUSTC_BOOTSTRAP=1). If the
# AddressSanitizer build fails (no sanitizer runtime for this toolchain), it falls back to
# `--sanitizer none`: libFuzzer still finds panics, only memory errors go unseen, and this
# crate forbids unsafe code anyway.
set -euo pipefail

seconds="${1:-60}"
target="${2:-decode}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/fuzz"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

toolchain=()
if rustup run nightly rustc --version >/dev/null 2>&1; then
    toolchain=(+nightly)
else
    echo "fuzz.sh: no nightly toolchain, using stable with RUSTC_BOOTSTRAP=1" >&2
    export RUSTC_BOOTSTRAP=1
fi

# Seed the corpus once with the golden example, one record per file: valid events of every
# type and invalid lines of every kind are a better start than nothing.
corpus="corpus/$target"
mkdir -p "$corpus"
golden="$root/tests/cases/small/input.ndjson"
if [ -z "$(ls -A "$corpus")" ] && [ -f "$golden" ]; then
    split --lines=1 --suffix-length=4 --numeric-suffixes "$golden" "$corpus/golden-"
fi

sanitizer=()
if ! cargo "${toolchain[@]}" fuzz build "$target"; then
    echo "fuzz.sh: sanitizer build failed, retrying with --sanitizer none" >&2
    sanitizer=(--sanitizer none)
    cargo "${toolchain[@]}" fuzz build "${sanitizer[@]}" "$target"
fi

exec cargo "${toolchain[@]}" fuzz run "${sanitizer[@]}" "$target" "$corpus" -- \
    -max_total_time="$seconds" -dict=decode.dict -max_len=4096 -print_final_stats=1
