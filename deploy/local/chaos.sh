#!/usr/bin/env bash
# make chaos: the platform's binaries, then nsk-chaos (tests/src/bin/nsk-chaos.rs) — the platform
# on a durable broker of its own under 24 faults drawn from a seed (SEED=n to repeat a run;
# the clock's otherwise), then the checker. It restarts this machine's PostgreSQL: run it alone.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
check_postgres
log "building the platform"
cargo build --workspace --bins
if [[ -n "${1:-}" ]]; then
  exec target/debug/nsk-chaos --seed "$1"
fi
exec target/debug/nsk-chaos
