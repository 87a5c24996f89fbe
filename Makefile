# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Local runs only: `make run` is for trying it out, with debug on.
RUN_ENV := DJANGO_DEBUG=1

.PHONY: run test lint setup setup-dev migrate seed serve bench bench-import clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed
setup-dev: $(VENV)/.installed-dev

migrate: setup
	$(RUN_ENV) $(PY) manage.py migrate --noinput

seed: migrate
	$(RUN_ENV) $(PY) manage.py load_countries
	$(RUN_ENV) $(PY) manage.py loaddata seed
	$(RUN_ENV) $(PY) manage.py ensure_admin

run: seed
	@echo "Serving on http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/, API: http://$(HOST):$(PORT)/api/)"
	$(RUN_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

lint: setup-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The whole suite on a throwaway PostgreSQL server, then on SQLite.
test: lint
	scripts/run-tests

# Benchmarks print figures; they are not tests. BENCH_TRANSFERS (default 1,000,000) sets the size.
bench: setup-dev
	scripts/with-postgres $(PY) scripts/bench.py

bench-import: setup
	scripts/with-postgres $(PY) scripts/bench_import.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
