# fm-core: `make run` serves the API on the embedded default; `make test` runs the suite.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export DEBUG ?= 1

.PHONY: run test fuzz lint typecheck fmt migrate demo worker scheduler schema bench clean

# The runtime set and the tests and tools (the image installs requirements.txt only).
$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo_data

run: demo
	@echo "GraphiQL: http://127.0.0.1:$(PORT)/graphql/"
	$(VENV)/bin/uvicorn fmcore.asgi:application --host 127.0.0.1 --port $(PORT) --ws websockets-sansio --ws-per-message-deflate false

worker: install
	$(PY) manage.py rundramatiq --processes 1 --threads 4

# Enqueues periodic actors (e.g. commerce.tasks.cleanup); needs REDIS_URL and a worker.
scheduler: install
	DJANGO_SETTINGS_MODULE=fmcore.settings $(VENV)/bin/periodiq django_dramatiq.setup fmcore.tasks commerce.tasks

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# The long fuzzing profile (the suite and .ci/run run short ones): hypothesis-graphql in-process, then
# schemathesis against a real uvicorn server, which needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL).
fuzz: install
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-500} FUZZ_SERVER_EXAMPLES=$${FUZZ_SERVER_EXAMPLES:-100} \
		$(PY) -m pytest tests/api/test_fuzz.py tests/api/test_fuzz_server.py -q

# lint-imports: the layers and the orders/payments/settlement rule (pyproject.toml [tool.importlinter]).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

# mypy with django-stubs and Strawberry's plugin; zero errors (pyproject.toml [tool.mypy]).
typecheck: install
	$(PY) -m mypy

fmt: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

schema: install
	$(PY) manage.py export_schema

# GraphQL against a hand-written baseline and the machine's limits (bare ASGI apps, pgbench)
# on loopback (bench/README.md): about 10 minutes. Needs PostgreSQL and Redis;
# BENCH_SECONDS, BENCH_USERS, BENCH_CONCURRENCY, ... tune it.
bench: install
	$(PY) -m pip install --quiet -r bench/requirements.txt
	@command -v wrk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null 2>&1 \
		|| echo "wrk could not be installed: the Python load generator is used instead"
	@command -v pgbench >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq postgresql-client) \
		>/dev/null 2>&1 || echo "pgbench could not be installed: the database's ceiling is left out"
	DEBUG=0 $(PY) bench/run.py

clean:
	rm -rf $(VENV) db.sqlite3 var
