#!/usr/bin/env bash
# Fuzzes the parsers every caller's text goes through (tests/fuzz, cargo-fuzz with libFuzzer):
# serial, iin_bin, percent_decode, transcode. Each target runs SECONDS seconds (first argument,
# default 600; make test gives 10), starting from the committed seeds (tests/fuzz/seeds/<target>)
# and the corpus grown by earlier runs (target/fuzz/corpus/<target>). A crash stops the run and
# leaves its input in target/fuzz/artifacts/<target>/; replay it with
#   cargo fuzz run --fuzz-dir tests/fuzz -s none --dev --target-dir target <target> <that file>
# Stable Rust: coverage-guided, without a sanitizer (-s none); safe Rust needs none to find
# panics, overflows (debug assertions are on) and runaway allocations.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

seconds="${1:-600}"
targets=(serial iin_bin percent_decode transcode)
fuzz=(cargo fuzz)
opts=(--fuzz-dir tests/fuzz -s none --dev --target-dir "$ROOT/target")

command -v cargo-fuzz >/dev/null || die "cargo-fuzz is not installed; run: make deps"
log "building the fuzz targets (instrumented; the first build takes a few minutes)"
"${fuzz[@]}" build "${opts[@]}" >"$RUN_DIR/fuzz-build.log" 2>&1 \
  || { tail -30 "$RUN_DIR/fuzz-build.log"; die "the fuzz targets do not build (log: $RUN_DIR/fuzz-build.log)"; }

for target in "${targets[@]}"; do
  corpus="$ROOT/target/fuzz/corpus/$target"
  artifacts="$ROOT/target/fuzz/artifacts/$target/"
  mkdir -p "$corpus" "$artifacts"
  seeds=()
  [[ -d "$ROOT/tests/fuzz/seeds/$target" ]] && seeds=("$ROOT/tests/fuzz/seeds/$target")
  out="$RUN_DIR/fuzz-$target.log"
  if ! "${fuzz[@]}" run "${opts[@]}" "$target" "$corpus" "${seeds[@]}" -- \
      -max_total_time="$seconds" -artifact_prefix="$artifacts" -print_final_stats=1 \
      -rss_limit_mb=2048 -max_len=4096 >"$out" 2>&1; then
    tail -40 "$out"
    die "fuzz target $target failed: its input is in $artifacts (log: $out)"
  fi
  runs="$(grep -o 'Done [0-9]* runs' "$out" | grep -o '[0-9]*' || echo '?')"
  cov="$(grep -o 'cov: [0-9]*' "$out" | tail -1 | grep -o '[0-9]*' || echo '?')"
  log "fuzz $target: $runs runs in $seconds s, no failure (coverage: $cov edges; corpus: $(ls "$corpus" | wc -l) inputs)"
done
