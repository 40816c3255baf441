# Two commands set everything up on a fresh machine:
#   make run   - virtualenv, install, build the index if missing or stale, serve on 127.0.0.1:8000
#   make test  - the same plus dev extras and system packages the tests need, then every test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: run test eval-gate index install install-dev system-deps bench-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) -e .
	touch $@

# torch is pinned to the CPU build on this machine's disk before sentence-transformers asks for it
$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(PIP) torch==2.13.0
	$(PIP) -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Debian packages the tests use: a Hangul font to write real PDFs with (and for the browser to draw Hangul),
# Chromium for the web UI tests (Playwright drives it; its own browser download needs the internet), and the
# nginx and Redis servers the serving tests start on free ports (replicas behind a load balancer, shared state),
# and Tesseract with its Korean model for scanned PDF pages (ASSISTANT_OCR; the OCR tests read a rendered page).
system-deps:
	@if ! fc-list 2>/dev/null | grep -qi nanum; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-nanum fontconfig >/dev/null; \
		else echo "install the Debian package fonts-nanum (needs root)"; exit 1; fi; \
	fi
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else echo "install the Debian package chromium (needs root)"; exit 1; fi; \
	fi
	@if ! command -v tesseract >/dev/null || ! tesseract --list-langs 2>/dev/null | grep -qx kor; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-kor >/dev/null; \
		else echo "install the Debian packages tesseract-ocr and tesseract-ocr-kor (needs root)"; exit 1; fi; \
	fi
	@if ! ldconfig -p | grep -q libgomp.so.1; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libgomp1 >/dev/null; \
		else echo "install the Debian package libgomp1 (needs root)"; exit 1; fi; \
	fi
	@if [ ! -x /usr/sbin/nginx ] || [ ! -x /usr/bin/redis-server ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light redis-server >/dev/null; \
		else echo "install the Debian packages nginx-light and redis-server (needs root)"; exit 1; fi; \
	fi

# The serving benchmarks' load generator (bench/load_serving.py): Debian's wrk, a C client cheap enough not to take
# the servers' cores. Benchmarks only: make test does not need it.
bench-deps: install-dev system-deps
	@if ! command -v wrk >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
		else echo "install the Debian package wrk (needs root)"; exit 1; fi; \
	fi

index: install
	$(BIN)/assistant ingest --if-stale --quiet

# serve builds the BM25 index first when needed and embeds in the background
run: install
	$(BIN)/assistant serve

test: install-dev system-deps
	$(BIN)/ruff check assistant tests
	$(BIN)/python -m pytest
	$(MAKE) eval-gate

# The whole Q&A set, the assistant beside the baselines; fails when a figure drops below its floor.
eval-gate: install-dev index
	$(BIN)/assistant eval --quiet --gate eval/thresholds.toml --out eval/reports/latest

clean:
	rm -rf $(VENV) index/current index/.build-* index/.old-*
