#!/usr/bin/env bash
# `make dev`: set everything up on a fresh machine (Python 3.11+ is all it needs), load the demo
# company and serve the app on http://127.0.0.1:8000 in DEBUG on the SQLite database in var/.
# DEMO_PASSWORD sets the demo users' password (default: frontoffice-demo).
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBUG="${DEBUG:-true}"
FO=.venv/bin/frontoffice

echo "==> Installing (virtual environment, locked dependencies, translations)"
bash scripts/setup.sh
echo "==> Collecting static files"
"$FO" collectstatic --noinput -v 0
echo "==> Migrating the database"
"$FO" migrate --noinput -v 0
echo "==> Loading the demo company"
"$FO" demo --password "${DEMO_PASSWORD:-frontoffice-demo}"
echo
echo "==> Serving http://127.0.0.1:8000/ (Ctrl+C to stop)"
exec "$FO" runserver 127.0.0.1:8000
