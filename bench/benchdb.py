"""What every benchmark shares: a database of its own, and Django set up like production.

Each script calls ``prepare_database(name, keep=...)`` before ``setup_django()``. On
PostgreSQL (``DATABASE_URL``) it creates the database ``name`` on the same server and drops
it at the end; on SQLite it uses a file in a temporary directory. Real data is never touched.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def prepare_database(name: str, *, keep: bool = False) -> Callable[[], None]:
    """Point the settings at the benchmark's own database; return its clean-up."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        parts = urlsplit(url)
        server = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))

        def drop() -> None:
            from django.db import connections

            connections.close_all()
            if keep:
                print(f"kept database {name} (drop it with: dropdb {name})")
                return
            with psycopg.connect(server, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        return drop
    if url:
        sys.exit(f"the benchmarks support SQLite and PostgreSQL, not {urlsplit(url).scheme!r}")
    tmp = tempfile.mkdtemp(prefix=f"{name}-")
    os.environ["SQLITE_PATH"] = str(Path(tmp) / "bench.sqlite3")

    def remove() -> None:
        from django.db import connections

        connections.close_all()
        if keep:
            print(f"kept {os.environ['SQLITE_PATH']}")
            return
        shutil.rmtree(tmp, ignore_errors=True)

    return remove


def production_like_environment() -> None:
    """No DEBUG (no query log, no template debug), plain HTTP for the test client, immediate
    tasks, quiet logging."""
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-used-anywhere-else-0123456789")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    os.environ["SESSION_COOKIE_SECURE"] = "false"
    os.environ["CSRF_COOKIE_SECURE"] = "false"
    os.environ["TASKS_BACKEND"] = "immediate"
    os.environ["LOG_LEVEL"] = "ERROR"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def production_task_queue() -> None:
    """Tasks as production runs them: on PostgreSQL enqueued in the database queue for a worker
    (a request pays for the INSERT, not for the task); SQLite keeps them in-process. For
    benchmarks of requests whose follow-up work (facts refresh, e-mail) is not what is measured."""
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        os.environ["TASKS_BACKEND"] = "database"
