#!/usr/bin/env bash
# Drops the databases earlier test runs left behind (named nsk_test_...).
source "$(dirname "$0")/lib.sh"
check_postgres
psql "$DATABASE_URL" -qtAc "SELECT datname FROM pg_database WHERE datname LIKE 'nsk\_test\_%'" |
  while read -r db; do
    [[ -n "$db" ]] && psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
  done
true
