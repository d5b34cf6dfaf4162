# One-command entry points. Everything installs into .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: help install system-packages format lint test test-unit demo bench bench-stream bench-api clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(BIN)/storemon: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/storemon  ## create .venv with the product and its development tools

# Commands the whole suite needs, each with the Debian package that brings it: Java and Maven run the
# real Kafka broker, kcat is the third-party producer of the topic-contract test, Chromium the browser
# the dashboard tests drive.
SYSTEM_PACKAGES := java:openjdk-17-jre-headless mvn:maven kcat:kcat chromium:chromium

system-packages:  ## install the system packages the tests need (as root), or name them and stop
	@missing=""; for pair in $(SYSTEM_PACKAGES); do \
		command -v "$${pair%%:*}" >/dev/null || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing:$$missing"; apt-get update -qq \
			&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else echo "missing system packages:$$missing (run: sudo apt-get install$$missing)" >&2; exit 1; fi; \
	fi

format: install  ## rewrite the code in the project's format and apply safe lint fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lint: install  ## format, lint and type checks, changing nothing
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

test: system-packages lint  ## everything CI runs: system packages, the checks, then the whole suite (starts a real Kafka broker)
	$(BIN)/pytest

test-unit: install  ## the fast loop: every test that needs no broker, in seconds
	$(BIN)/pytest -m 'not kafka and not tansu'

demo: install  ## broker, worker and API on the bundled sample, one report, then serve on :8000
	$(BIN)/storemon demo

bench: install  ## offline report, 10,000 stores x 7.5 days
	$(BIN)/python -m bench.offline_report

bench-stream: install  ## replay -> worker caught up, with a real broker
	$(BIN)/python -m bench.stream_throughput

bench-api: install  ## reports and lookups against a worker; closed-loop runs need wrk (installed here when root)
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq wrk >/dev/null; } \
		|| echo "wrk missing: apt-get install wrk for the closed-loop runs"
	$(BIN)/python -m bench.api_latency

clean:  ## remove the virtualenv, caches and generated benchmark data
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis bench/.data
