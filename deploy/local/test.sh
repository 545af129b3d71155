#!/usr/bin/env bash
# make test: fmt check, then every test against the real PostgreSQL and a real broker.
# Starts an in-memory broker on a free port unless KAFKA_BROKERS names a running one.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

log "checking formatting"
cargo fmt --all -- --check || die "formatting differs: run make fmt"

check_postgres
"$ROOT/deploy/local/clean-test-dbs.sh"

if [[ -z "${KAFKA_BROKERS:-}" ]]; then
  port="$(free_port)"
  broker_log="$RUN_DIR/test-broker.log"
  broker_pid="$(start_broker "$port" "memory://tansu/" "$broker_log")"
  trap 'kill "$broker_pid" 2>/dev/null || true' EXIT
  export KAFKA_BROKERS="127.0.0.1:$port"
  log "broker for tests at $KAFKA_BROKERS (log: $broker_log)"
fi

log "building the service binaries the cross-service tests start"
cargo build --workspace --bins
log "running tests"
if [[ $# -gt 0 ]]; then cargo test --no-fail-fast "$@"; exit; fi
status=0
cargo test --workspace --no-fail-fast || status=$?
# A few seconds of each fuzz target (make fuzz runs them long).
"$ROOT/deploy/local/fuzz.sh" "${NSK_FUZZ_SECONDS:-10}" || status=1
exit "$status"
