# Frontoffice front door. `make dev` runs the app; `make test` runs everything CI runs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

help:
	@echo "make dev      set up and serve the app on http://127.0.0.1:8000 with demo data"
	@echo "make test     set up and run lint, checks and the test suite on SQLite and PostgreSQL"
	@echo "make lint     ruff check and format check"
	@echo "make fmt      ruff fix and format"
	@echo "make schema   regenerate docs/api/openapi.yaml"
	@echo "make messages update the Swedish catalogue (then translate and commit)"

dev:
	@bash scripts/dev.sh

test:
	@bash scripts/test.sh

setup:
	@bash scripts/setup.sh

lint: setup
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

fmt: setup
	.venv/bin/ruff check --fix . ; .venv/bin/ruff format .

schema: setup
	.venv/bin/frontoffice spectacular --file docs/api/openapi.yaml --validate --fail-on-warn

messages: setup
	.venv/bin/frontoffice makemessages -l sv --no-obsolete --add-location file -i ".venv/*" -i "var/*" -i "bench/*"
	.venv/bin/frontoffice makemessages -d djangojs -l sv --no-obsolete -i ".venv/*" -i "var/*" -i "staticfiles/*" || true

.PHONY: help dev test setup lint fmt schema messages
