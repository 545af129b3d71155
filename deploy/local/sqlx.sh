#!/usr/bin/env bash
# The SQL the stores write with sqlx::query!/query_as! is checked when the crate compiles, against
# the query data kept in each service's .sqlx/ (the crate's .env sets SQLX_OFFLINE=true, so a
# build never needs a database). This script writes that data from the migrations.
#   sqlx.sh prepare   rebuild services/<service>/.sqlx from a database migrated from scratch
#   sqlx.sh check     the same into a scratch folder, then fail if the committed data differs
# SQLX_SERVICES="documents vouchers" limits either to those services.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
mode="${1:-check}"
[[ "$mode" == prepare || "$mode" == check ]] || die "usage: sqlx.sh prepare|check"
check_postgres

server="${DATABASE_URL%/*}"
export PGOPTIONS="--client-min-messages=warning"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
stale=()

for service in ${SQLX_SERVICES:-$(ls services)}; do
  dir="services/$service"
  [[ -f "$dir/.env" ]] || continue
  db="nsk_sqlx_$service"
  psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
  psql "$DATABASE_URL" -qc "CREATE DATABASE \"$db\"" >/dev/null
  # The order nsk_runtime::prepare migrates in: events, calendar, the service, requests and audit.
  for file in shared/events/migrations/*.sql shared/runtime/migrations/*.sql \
    "$dir"/migrations/*.sql shared/db/migrations/*.sql; do
    psql "$server/$db" -q -v ON_ERROR_STOP=1 -f "$file" >/dev/null 2>"$scratch/psql.err" ||
      { cat "$scratch/psql.err" >&2; die "migration $file failed on $db"; }
  done
  out="$scratch/$service"
  mkdir -p "$out"
  # A proc macro's inputs are invisible to cargo: touching the crate makes it expand again.
  find "$dir/src" -name '*.rs' -exec touch {} +
  log "$service: checking its SQL against $db"
  SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$out" DATABASE_URL="$server/$db" \
    cargo check --quiet -p "nsk-$service" --lib
  if [[ "$mode" == prepare ]]; then
    rm -rf "$dir/.sqlx"
    mkdir -p "$dir/.sqlx"
    cp "$out"/*.json "$dir/.sqlx/" 2>/dev/null || true
  elif ! diff -r -q "$dir/.sqlx" "$out" >"$scratch/diff" 2>&1; then
    cat "$scratch/diff" >&2
    stale+=("$service")
  fi
  psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
done

if ((${#stale[@]})); then
  die "the query data of ${stale[*]} differs from the SQL and migrations: run deploy/local/sqlx.sh prepare and commit services/*/.sqlx"
fi
log "query data $( [[ $mode == prepare ]] && echo written || echo up to date )"
