# Crisis Desk. Two commands matter: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
INSTALLED := $(VENV)/.installed-$(shell sha256sum requirements.txt | cut -c1-16)

# Throwaway values: `check --deploy` must see production settings that are complete.
DEPLOY_CHECK_ENV := DJANGO_SECRET_KEY=deploy-check-$(shell printf '%064d' 0) \
	DJANGO_ALLOWED_HOSTS=crisisdesk.example.org \
	CRISISDESK_FIELD_KEYS=kWmgn2oZuaVbB6gHdf9VVbNu2IEM6Y7yR4-ZdyhIk6U=

.PHONY: install run test test-sqlite test-postgres lint deploy-check migrations-check bench messages

$(INSTALLED): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@rm -f $(VENV)/.installed-* && touch $@

install: $(INSTALLED)

## Install, migrate the embedded SQLite database, load the demo scenario once, and serve,
## with a background-task worker beside the web server (niced, so that in a surge the
## public form comes first; stopped with it). The worker runs the hourly sweep that marks
## quiet diplomatic channels dormant; queuing it twice is harmless.
run: install
	$(PY) manage.py migrate --noinput -v 0
	PORT=$(PORT) $(PY) manage.py demo_load --if-empty
	$(PY) manage.py diplomacy_dormancy --schedule -v 0
	nice -n 10 $(PY) manage.py db_worker --verbosity 0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	PORT=$(PORT) $(PY) manage.py runserver 127.0.0.1:$(PORT)

## The whole suite: lint, deploy checks, migrations check, tests on SQLite and on PostgreSQL.
test: install
	bash scripts/ensure-system-packages
	$(MAKE) --no-print-directory lint deploy-check migrations-check test-sqlite test-postgres

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

deploy-check:
	$(DEPLOY_CHECK_ENV) $(PY) manage.py check --deploy --fail-level WARNING --settings=config.settings.production

migrations-check:
	$(PY) manage.py makemigrations --check --dry-run --settings=config.settings.test

test-sqlite:
	@echo "== tests on SQLite =="
	$(PY) -m pytest -q -p no:cacheprovider

test-postgres:
	@echo "== tests on PostgreSQL (throwaway server) =="
	scripts/with-throwaway-postgres -- $(PY) -m pytest -q -p no:cacheprovider

bench: install
	$(PY) bench/registration_throughput.py
