#!/usr/bin/env bash
# make run: builds and starts the whole platform on this machine — a durable broker, the six
# services and the gateway — prints how to call it, and stops everything on Ctrl-C.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

check_postgres
log "building (first time: a few minutes)"
cargo build --workspace --bins

LOG_DIR="$RUN_DIR/logs"
mkdir -p "$LOG_DIR"
pids=()        # the services and the gateway: children of this script
broker_pid=""  # started through a helper, so not a child: stopped by pid
stop_all() {
  log "stopping"
  for pid in "${pids[@]}" $broker_pid; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all EXIT
trap 'exit 0' INT TERM

if [[ -n "${KAFKA_BROKERS:-}" ]]; then
  log "using the broker at KAFKA_BROKERS=$KAFKA_BROKERS"
else
  port="${NSK_BROKER_PORT:-9092}"
  if port_open "$port"; then
    port="$(free_port)"
  fi
  # Durable: events survive a restart of make run (sqlite file in .run/).
  broker_pid="$(start_broker "$port" "sqlite://broker.db" "$LOG_DIR/broker.log")"
  export KAFKA_BROKERS="127.0.0.1:$port"
  log "broker at $KAFKA_BROKERS (data: .run/broker.db)"
fi

export NSK_HTTP_ADDR="${NSK_HTTP_ADDR:-127.0.0.1:8080}"
# Local use: the development key signs and checks tokens (production refuses it).
export NSK_PROFILE="${NSK_PROFILE:-development}"
for addr in "$NSK_HTTP_ADDR" 127.0.0.1:5005{1..6}; do
  if port_open "${addr##*:}"; then
    die "port ${addr##*:} is in use; stop what uses it (or an earlier make run) and try again"
  fi
done

for service in professions standards accreditation vouchers documents recognition; do
  target/debug/nsk-$service >"$LOG_DIR/$service.log" 2>&1 &
  pids+=("$!")
done
target/debug/nsk-gateway >"$LOG_DIR/gateway.log" 2>&1 &
pids+=("$!")

GATEWAY="http://$NSK_HTTP_ADDR"
deadline=$((SECONDS + 60))
until curl -fsS "$GATEWAY/readyz" >/dev/null 2>&1; do
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$LOG_DIR"/*.log >&2; die "a process exited during start; logs above and in $LOG_DIR"; }
  done
  ((SECONDS < deadline)) || { curl -sS "$GATEWAY/readyz" >&2 || true; die "not ready after 60 s; logs in $LOG_DIR"; }
  sleep 0.5
done

cat <<MSG

  NSK Registry is up.

  Gateway (REST and gRPC):  $GATEWAY
  Pages (kk, ru, en):       $GATEWAY/  (verification; /registers/professions, centers, offers, ...)
  OpenAPI document:         $GATEWAY/openapi.json
  Readiness:                $GATEWAY/readyz
  Logs:                     $LOG_DIR

  A token for an authorized-body administrator (valid 1 hour):
    TOKEN=\$(target/debug/nsk-dev-token --role authorized-body-admin)

  Register a profession, then read it back:
    curl -s -X POST $GATEWAY/v1/professions \\
      -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
      -d '{"names":{"kk":"Дәнекерлеуші","ru":"Сварщик","en":"Welder"},"nkzCode":"72120001",
           "okedCode":"25110","nqfLevels":[3,4],"documentValidityMonths":60,
           "qualificationRequirementsApply":true,
           "inclusionBasis":{"number":"12","date":"2026-02-16"}}'
    curl -s "$GATEWAY/v1/professions?name=weld"

  A candidate (the subject names the person) and what they consent to when applying:
    ME=\$(target/debug/nsk-dev-token --role candidate --subject iin:900101300037)
    curl -s $GATEWAY/v1/recognition/consent
  Who recognises what, where and at what price:
    curl -s "$GATEWAY/v1/recognition/offers"

  Ctrl-C stops everything.

MSG

wait -n "${pids[@]}" || true
log "a process stopped; see $LOG_DIR"
