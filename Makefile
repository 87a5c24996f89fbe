# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Local runs read .env (debug on, a generated secret key, no rate limits), written once
# by scripts/local-env and read by manage.py; production uses the real environment.

.PHONY: run test lint setup setup-dev migrate seed serve bench bench-import eval-ingest clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

.env:
	$(PYTHON) scripts/local-env $@

setup: $(VENV)/.installed .env
setup-dev: $(VENV)/.installed-dev .env

migrate: setup
	$(PY) manage.py migrate --noinput

# The seed goes into an empty database only: a restart never puts it back over edits. With it,
# the Tor-M1 deal's other reports (fixtures/tor-m1-reports.json): a disputed deal to look at.
seed: migrate
	$(PY) manage.py loaddata --if-empty seed tor-m1-reports
	$(PY) manage.py load_countries
	$(PY) manage.py ensure_admin

run: seed
	@echo "Serving on http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/, API: http://$(HOST):$(PORT)/api/)"
	$(PY) manage.py runserver $(HOST):$(PORT)

lint: setup-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The whole suite on a throwaway PostgreSQL server, then on SQLite.
test: lint
	scripts/run-tests

# Benchmarks print figures; they are not tests. BENCH_SIZES (default 100,000, 300,000 and 1,000,000)
# sets the sizes, and the growth of each scenario between them is printed.
bench: setup-dev
	scripts/with-postgres $(PY) scripts/bench.py

bench-import: setup
	scripts/with-postgres $(PY) scripts/bench_import.py

# The article engine over the annotated articles (tests/data/articles/): precision and recall
# per part, the seed article's targets, and the time to draft a 1,000-word article.
eval-ingest: setup .env
	$(PY) manage.py eval_ingest --details

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache  # .env is kept: it holds your local secret key
