# Frontoffice front door. `make dev` runs the app; `make test` runs everything CI runs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

help:
	@echo "make dev      set up and serve the app on http://127.0.0.1:8000 with demo data"
	@echo "make test     set up and run lint, checks and the test suite on SQLite and PostgreSQL"
	@echo "make test-pg  the test suite on PostgreSQL only (PG_URL, default postgres://postgres@127.0.0.1:5432/frontoffice)"
	@echo "make lint     ruff check and format check"
	@echo "make check    system checks, including the deployment checks with production settings"
	@echo "make bench    customer list/search benchmark (DATABASE_URL; QUICK=1 for 10,000 rows)"
	@echo "make fmt      ruff fix and format"
	@echo "make schema   regenerate docs/api/openapi.yaml"
	@echo "make messages update the Swedish catalogue (then translate and commit)"

dev:
	@bash scripts/dev.sh

test:
	@bash scripts/test.sh

setup:
	@bash scripts/setup.sh

PG_URL ?= postgres://postgres@127.0.0.1:5432/frontoffice
test-pg: setup
	DATABASE_URL=$(PG_URL) .venv/bin/pytest -q -p no:cacheprovider -n "$${TEST_WORKERS:-2}" --dist worksteal

check: setup
	.venv/bin/frontoffice check --fail-level WARNING
	DEBUG=false SECRET_KEY=check-only-not-a-real-secret-key-0123456789abcdefghijklmnop ALLOWED_HOSTS=frontoffice.example.com \
		.venv/bin/frontoffice check --deploy --fail-level WARNING

bench: setup
	.venv/bin/python bench/parties.py $(if $(QUICK),--quick,)

lint: setup
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

fmt: setup
	.venv/bin/ruff check --fix . ; .venv/bin/ruff format .

schema: setup
	.venv/bin/frontoffice spectacular --lang en --file docs/api/openapi.yaml --validate --fail-on-warn

messages: setup
	.venv/bin/frontoffice makemessages -l sv --no-obsolete --add-location file -i locale -i ".venv/*" -i "var/*" -i "bench/*" -i "docs/*" -i "node_modules/*" -i "test-artifacts/*"

.PHONY: help dev test test-pg setup check bench lint fmt schema messages
