#!/usr/bin/env bash
# Installs what the platform and its tests need, once each: the Kafka-API broker (Tansu),
# schemathesis, kubernetes-validate and check-jsonschema (in .run/venv, from PyPI), cargo-fuzz, and for the browser tests Debian's
# Chromium and ChromeDriver, poppler-utils (pdftotext, pdftoppm), wrk (make bench's HTTP load)
# and the pinned npm packages of tests/browser (playwright-core, axe-core). Each is skipped when
# it is already there.
source "$(dirname "$0")/lib.sh"

SCHEMATHESIS_VERSION="4.32.5"
VENV="$RUN_DIR/venv"
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  log "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# The deployment's checks (tests/tests/deployment_checked.rs): every rendered Kubernetes object
# against the Kubernetes schemas, the compose file against the compose schema.
KUBERNETES_VALIDATE_VERSION="1.37.0"
CHECK_JSONSCHEMA_VERSION="0.39.0"
if ! "$VENV/bin/pip" freeze 2>/dev/null | grep -q "^kubernetes-validate==$KUBERNETES_VALIDATE_VERSION$" \
  || ! "$VENV/bin/pip" freeze 2>/dev/null | grep -q "^check-jsonschema==$CHECK_JSONSCHEMA_VERSION$"; then
  log "installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION and check-jsonschema $CHECK_JSONSCHEMA_VERSION into $VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" "check-jsonschema==$CHECK_JSONSCHEMA_VERSION"
fi
# kubectl renders k8s/ (kustomize v5 is built in); it comes with this kind of machine.
command -v kubectl >/dev/null \
  || log "kubectl is missing: the deployment check needs kubectl 1.27 or later (kustomize v5)"

# cargo-fuzz drives the fuzz targets of tests/fuzz (make fuzz, and briefly make test).
CARGO_FUZZ_VERSION="0.13.2"
if ! cargo install --list | grep -q "^cargo-fuzz v$CARGO_FUZZ_VERSION:"; then
  log "installing cargo-fuzz $CARGO_FUZZ_VERSION (about a minute, once)"
  cargo install "cargo-fuzz@$CARGO_FUZZ_VERSION" --locked
fi

# The browser tests: Debian's Chromium (never a browser a test tool downloads), and the PDF tools.
missing=()
for tool in chromium:chromium chromedriver:chromium-driver pdftotext:poppler-utils wrk:wrk; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool##*:}")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]} from Debian's packages"
  sudo_if_needed() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
  sudo_if_needed apt-get update -qq
  DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [[ ! -d "$ROOT/tests/browser/node_modules/playwright-core" ]]; then
  log "installing the browser tests' npm packages (tests/browser/package-lock.json)"
  npm ci --prefix "$ROOT/tests/browser" --no-audit --no-fund --loglevel=error
fi

if [[ -x "$TANSU" ]] && cargo install --list | grep -q "^tansu v$TANSU_VERSION:"; then
  exit 0
fi
log "installing the Tansu broker $TANSU_VERSION (10-15 minutes on 2 cores, once)"
# dynostore brings the in-memory engine used by tests; libsql the durable sqlite engine of make run.
cargo install "tansu@$TANSU_VERSION" --locked --features dynostore,libsql
