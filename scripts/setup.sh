#!/usr/bin/env bash
# Create .venv and install exactly what uv.lock pins (the project itself in editable mode).
# Needs only Python 3.11+ on the machine; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
UV_VERSION=0.13.9
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
  "$PYTHON" -m venv .venv
fi
if ! .venv/bin/uv --version 2>/dev/null | grep -q "$UV_VERSION"; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
# --frozen: install from the lock file as committed, never re-resolve.
UV_PROJECT_ENVIRONMENT=.venv .venv/bin/uv sync --frozen --quiet --python .venv/bin/python
# Compiled Swedish catalogues (.mo files are build products, not committed).
.venv/bin/frontoffice compilemessages --ignore ".venv" -v 0
