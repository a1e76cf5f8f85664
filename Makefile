# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test bench messages clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: install
	scripts/run-dev

# The whole suite on the embedded defaults (SQLite, an in-memory broker and cache): no services needed.
# .ci/run runs it again with DATABASE_URL and CELERY_BROKER_URL set to PostgreSQL and Redis.
test: install
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-memory://} CACHE_URL=$${CACHE_URL:-locmemcache://} $(PY) -m pytest $(PYTEST_ARGS)

# Benchmarks on PostgreSQL (BENCH_DATABASE_URL), printed as tables; see bench/.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/loja_bench
bench: install
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/inventory.py

# Regenerate the pt-BR catalogue after changing UI strings (needs GNU gettext).
messages: install
	$(PY) manage.py makemessages --locale pt_BR --ignore '.venv/*' --ignore 'var/*' --ignore 'staticfiles/*' --ignore 'tests/*'
	$(PY) manage.py compilemessages --locale pt_BR --ignore '.venv/*'

clean:
	rm -rf $(VENV) var staticfiles test-artifacts .pytest_cache
