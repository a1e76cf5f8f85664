# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench load messages clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The load test's tools (locust), only for `make load`.
$(VENV)/.bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,bench]'
	touch $@

run: install
	scripts/run-dev

# The whole suite on the embedded defaults (SQLite, an in-memory broker and cache): no services needed.
# .ci/run runs it again with DATABASE_URL and CELERY_BROKER_URL set to PostgreSQL and Redis.
test: install
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-memory://} CACHE_URL=$${CACHE_URL:-locmemcache://} $(PY) -m pytest $(PYTEST_ARGS)

# The lint gate (ruff: pycodestyle, pyflakes, isort; configured in pyproject.toml), run by .ci/run before the tests.
lint: install
	$(PY) -m ruff check .

# Benchmarks on PostgreSQL (BENCH_DATABASE_URL) and Redis: seeds a store of 1,000,000 orders
# once (later runs reuse it), measures each scenario beside its anchor, prints one table and
# writes it to bench/results/. BENCH_ARGS: e.g. --orders 100000, --only "order list". See bench/README.md.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/loja_bench
bench: install
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) -m bench $(BENCH_ARGS)

# Load test (locust) against gunicorn and a Celery worker on the bench store; LOAD_ARGS: e.g. --stages 5,10.
load: $(VENV)/.bench
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) -m bench.load $(LOAD_ARGS)

# Regenerate the pt-BR catalogue after changing UI strings (needs GNU gettext).
messages: install
	$(PY) manage.py makemessages --locale pt_BR --ignore '.venv/*' --ignore 'var/*' --ignore 'staticfiles/*' --ignore 'tests/*'
	$(PY) manage.py compilemessages --locale pt_BR --ignore '.venv/*'

clean:
	rm -rf $(VENV) var staticfiles test-artifacts .pytest_cache
