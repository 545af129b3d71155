#!/usr/bin/env bash
# Installs the Kafka-API broker (Tansu) once; skipped when this version is already installed.
source "$(dirname "$0")/lib.sh"

if [[ -x "$TANSU" ]] && cargo install --list | grep -q "^tansu v$TANSU_VERSION:"; then
  exit 0
fi
log "installing the Tansu broker $TANSU_VERSION (10-15 minutes on 2 cores, once)"
# dynostore brings the in-memory engine used by tests; libsql the durable sqlite engine of make run.
cargo install "tansu@$TANSU_VERSION" --locked --features dynostore,libsql
