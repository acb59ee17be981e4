# Jejaring — two commands: `make run` and `make test`. Everything else is set up by them.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test test-faults unit integration bench system-deps asyncapi clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 needed"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# PostgreSQL and Chromium for the integration and browser tests, wrk for the benchmark, promtool for
# the alert rule tests (Debian packages). promtool is taken out of Debian's prometheus package
# rather than installing it, which would start a Prometheus server.
system-deps:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v chromium >/dev/null && command -v chromedriver >/dev/null && command -v wrk >/dev/null && command -v promtool >/dev/null; then \
	  echo "system packages present"; \
	else \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql chromium chromium-driver wrk >/dev/null; \
	  if ! command -v promtool >/dev/null; then \
	    tmp=$$(mktemp -d) && chmod 755 "$$tmp" && (cd "$$tmp" && apt-get download -qq prometheus) \
	    && dpkg-deb --fsys-tarfile "$$tmp"/prometheus_*.deb | tar -xO ./usr/bin/promtool > "$$tmp/promtool" \
	    && $$SUDO install -m 755 "$$tmp/promtool" /usr/local/bin/promtool && rm -rf "$$tmp"; \
	  fi; \
	fi

run: $(STAMP)
	$(VENV)/bin/jejaring up

test: $(STAMP) system-deps
	$(PY) -m pytest -q

# The fault and abuse suite's long variant (make test runs the short one); prints the reliability table.
test-faults: $(STAMP) system-deps
	JEJARING_FAULTS_LONG=1 $(PY) -m pytest -q -m faults -rA

unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

integration: $(STAMP) system-deps
	$(PY) -m pytest -q -m integration

bench: $(STAMP) system-deps
	$(PY) bench/run.py

asyncapi: $(STAMP)
	$(VENV)/bin/jejaring asyncapi --out docs/asyncapi

clean:
	rm -rf var .pytest_cache
