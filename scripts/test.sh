#!/usr/bin/env bash
# `make test` (and CI through .ci/run): set up, then lint, check and run the whole suite on
# SQLite and on PostgreSQL, stopping at the first failure.
#
# PostgreSQL: PG_URL (default postgres://postgres@127.0.0.1:5432/frontoffice); pytest-django
# creates and drops test_<name> on that server. When it is unreachable the PostgreSQL half is
# a failure in CI (CI=true) and skipped, with one line saying so, everywhere else.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432/frontoffice}"
FO=.venv/bin/frontoffice
# Two test processes (pytest-xdist): CI machines have two cores. TEST_WORKERS=0 runs in one process.
PYTEST=(.venv/bin/pytest -q -p no:cacheprovider -n "${TEST_WORKERS:-2}" --dist worksteal)
step() { printf '\n==> %s\n' "$*"; }

step "Installing (virtual environment, locked dependencies, translations)"
bash scripts/setup.sh

# The browser tests drive Debian's Chromium through Playwright (executable_path); Playwright's
# own browser download is not used.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ]; then
    step "Installing Debian's chromium for the browser tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  else
    echo "The browser tests need /usr/bin/chromium: run 'sudo apt-get install chromium' (Debian/Ubuntu) and try again." >&2
    exit 1
  fi
fi

# The SQLite half ignores a DATABASE_URL left in the caller's environment.
unset DATABASE_URL

step "ruff check"
.venv/bin/ruff check .
step "ruff format --check"
.venv/bin/ruff format --check .
step "Migrations match the models"
"$FO" makemigrations --check --dry-run
step "System checks"
"$FO" check --fail-level WARNING
step "Deployment checks with production settings"
DEBUG=false SECRET_KEY="test-only-$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n')" \
  ALLOWED_HOSTS=frontoffice.example.com "$FO" check --deploy --fail-level WARNING

step "Test suite on SQLite"
"${PYTEST[@]}"

step "Test suite on PostgreSQL"
PG_WHERE=$(.venv/bin/python -c 'import sys, dj_database_url as d; c = d.parse(sys.argv[1]); print((c.get("HOST") or "localhost") + ":" + str(c.get("PORT") or 5432))' "$PG_URL")
if .venv/bin/python - "$PG_URL" <<'PY'
import sys

import psycopg

try:
    # The server's maintenance database: the test database does not exist yet.
    psycopg.connect(sys.argv[1], dbname="postgres", connect_timeout=5).close()
except psycopg.Error:
    sys.exit(1)
PY
then
  DATABASE_URL="$PG_URL" "${PYTEST[@]}"
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL not reachable at $PG_WHERE, and CI=true: the PostgreSQL half is required in CI." >&2
  exit 1
else
  echo "PostgreSQL not reachable at $PG_WHERE: skipping the PostgreSQL half"
  step "All checks passed (SQLite only)"
  exit 0
fi

step "All checks passed (SQLite and PostgreSQL)"
