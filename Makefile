# NSK Registry — the verbs a person types. CI calls these and nothing else.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres

.PHONY: help deps build run test lint fmt bench bench-quick chaos broker clean-test-dbs sqlx schemathesis fuzz

help:
	@echo "make deps   install what the platform needs (the Tansu broker) once"
	@echo "make run    build and run the whole platform locally; Ctrl-C stops it"
	@echo "make test   fmt check, then every unit, integration and cross-service test"
	@echo "make lint   clippy on every target, warnings are errors; the stores' query data is current"
	@echo "make sqlx   rewrite the stores' query data (services/*/.sqlx) after a SQL or migration change"
	@echo "make bench  benchmarks (see README)"
	@echo "make bench-quick  the verification and issuance ratios on small data, in about two minutes once built"
	@echo "make chaos  the platform under 24 faults drawn from a seed, then the checker (SEED=n make chaos repeats a run)"
	@echo "make schemathesis  the long schemathesis run (500 cases per operation, every caller)"
	@echo "make fuzz   the fuzz targets of tests/fuzz, 10 minutes each (SECONDS_EACH=60 make fuzz for less)"

deps:
	@deploy/local/deps.sh

build:
	cargo build --workspace --bins

run: deps
	@deploy/local/run.sh

test: deps
	@deploy/local/test.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo fmt --manifest-path tests/fuzz/Cargo.toml --all -- --check
	cargo clippy --manifest-path tests/fuzz/Cargo.toml --target-dir target -- -D warnings
	@deploy/local/sqlx.sh check

sqlx:
	@deploy/local/sqlx.sh prepare

fmt:
	cargo fmt --all
	cargo fmt --manifest-path tests/fuzz/Cargo.toml --all

bench: deps
	@deploy/local/bench.sh

bench-quick: deps
	@deploy/local/bench.sh quick

chaos: deps
	@deploy/local/chaos.sh $${SEED:-}

schemathesis: deps
	@NSK_SCHEMATHESIS_EXAMPLES=500 NSK_SCHEMATHESIS_EVERY_ROLE=1 deploy/local/test.sh -p nsk-e2e --test schemathesis -- --nocapture

fuzz: deps
	@deploy/local/fuzz.sh $${SECONDS_EACH:-600}

# Start a broker in the foreground on a given port, for debugging: make broker PORT=9092
broker: deps
	@deploy/local/broker.sh foreground $${PORT:-9092}

clean-test-dbs:
	@deploy/local/clean-test-dbs.sh
