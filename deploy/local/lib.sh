# Helpers shared by the local scripts. Sourced, not run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUN_DIR="$ROOT/.run"
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
TANSU_VERSION="0.6.0"
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
TANSU="$CARGO_BIN/tansu"
mkdir -p "$RUN_DIR"

log() { printf '\033[1m[nsk]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[nsk]\033[0m %s\n' "$*" >&2; exit 1; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for_port() { # port seconds what
  local deadline=$((SECONDS + $2))
  until port_open "$1"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

check_postgres() {
  if ! psql "$DATABASE_URL" -qtAc 'SELECT 1' >/dev/null 2>&1; then
    die "cannot reach PostgreSQL at DATABASE_URL=$DATABASE_URL; start it or set DATABASE_URL"
  fi
}

# start_broker <port> <storage-url> <logfile>: starts Tansu in the background, prints its pid.
start_broker() {
  local port="$1" storage="$2" logfile="$3"
  [[ -x "$TANSU" ]] || die "the broker is not installed; run: make deps"
  # Tansu resolves a sqlite:// path against its working directory, even a path that starts
  # with '/', so it runs inside .run/ and durable URLs are relative to it.
  (cd "$RUN_DIR" && exec "$TANSU" broker \
    --listener-url "tcp://127.0.0.1:$port" \
    --advertised-listener-url "tcp://127.0.0.1:$port" \
    --storage-engine "$storage") >"$logfile" 2>&1 &
  local pid=$!
  if ! wait_for_port "$port" 30; then
    kill "$pid" 2>/dev/null || true
    tail -n 20 "$logfile" >&2 || true
    die "the broker did not start on 127.0.0.1:$port (log: $logfile)"
  fi
  echo "$pid"
}
