# Two commands on a fresh machine (Python 3.11 and make): `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test worker beat setup setup-dev migrate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.requirements: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.requirements-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.requirements

setup: $(VENV)/.requirements
setup-dev: $(VENV)/.requirements-dev

migrate: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py ensure_account_admin

# Serves the admin, the API and the OCPP websocket endpoint on embedded defaults. The set-up ends
# with the console URL and the admin's login in a box, right before serving.
run: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py ensure_account_admin --host $(HOST) --port $(PORT)
	$(BIN)/python manage.py serve --host $(HOST) --port $(PORT)

# The worker runs celery beat (the periodic tasks of CELERY_BEAT_SCHEDULE) in the same process.
# With several workers, give exactly one of them beat: `make worker BEAT=` on the others, or run
# `make beat` once and every worker with `BEAT=`.
BEAT ?= --beat
worker: migrate
	$(BIN)/celery -A switchplatform worker --loglevel INFO --concurrency 2 $(BEAT)

beat: migrate
	$(BIN)/celery -A switchplatform beat --loglevel INFO

test: setup-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var
