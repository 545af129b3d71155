#!/usr/bin/env bash
# Drops databases that test runs left behind (nsk_test_<unix seconds>_...) once they are an
# hour old, so that a run in progress on the same server keeps its own.
source "$(dirname "$0")/lib.sh"
check_postgres
cutoff=$(($(date +%s) - 3600))
psql "$DATABASE_URL" -qtAc "SELECT datname FROM pg_database WHERE datname LIKE 'nsk\_test\_%'" |
  while read -r db; do
    created="${db#nsk_test_}"
    created="${created%%_*}"
    if [[ "$created" =~ ^[0-9]+$ ]] && ((created < cutoff)) || [[ ! "$created" =~ ^[0-9]+$ ]]; then
      psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
    fi
  done
true
