#!/usr/bin/env bash
# make bench: release builds, a fresh broker, and the benchmarks in tests/src/bin/: the
# register of professions (nsk-bench), the registry of documents (nsk-bench-documents), and
# voucher issuance (nsk-bench-vouchers). `bench.sh quick` (make bench-quick): the verification
# and issuance ratios only, on small data, ending with two machine-readable lines.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
check_postgres
if [[ -z "${KAFKA_BROKERS:-}" ]]; then
  port="$(free_port)"
  broker_pid="$(start_broker "$port" "memory://tansu/" "$RUN_DIR/bench-broker.log")"
  trap 'kill "$broker_pid" 2>/dev/null || true' EXIT
  export KAFKA_BROKERS="127.0.0.1:$port"
fi
log "building release binaries"
cargo build --release --workspace --bins
export NSK_BIN_DIR="$ROOT/target/release"
if [[ "${1:-}" == quick ]]; then
  NSK_BENCH_QUICK=1 RUST_LOG=warn target/release/nsk-bench-documents
  exit
fi
RUST_LOG=warn target/release/nsk-bench
RUST_LOG=warn target/release/nsk-bench-documents
RUST_LOG=warn target/release/nsk-bench-vouchers
