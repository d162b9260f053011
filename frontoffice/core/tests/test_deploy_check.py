"""Production settings pass Django's deployment checks."""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ENTRY_POINT = Path(sys.executable).parent / "frontoffice"
# Only what a process needs to run; every setting comes from the test, never from the
# caller's environment (a developer's DATABASE_URL or another test's variables).
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


def _base_env(tmp_path: Path) -> dict[str, str]:
    env = {key: os.environ[key] for key in PASSED_THROUGH if key in os.environ}
    env["FRONTOFFICE_VAR_DIR"] = str(tmp_path)
    return env


def test_check_deploy_passes_with_production_settings(tmp_path: Path) -> None:
    """``frontoffice check --deploy`` finds no warning with DEBUG off and the required settings."""
    alphabet = string.ascii_letters + string.digits + "!#%&()*+,-./:;<=>?@[]^_{|}~"
    env = _base_env(tmp_path)
    env.update(
        DEBUG="false",
        SECRET_KEY="".join(secrets.choice(alphabet) for _ in range(60)),
        ALLOWED_HOSTS="frontoffice.example.com",
    )
    result = subprocess.run(  # noqa: S603 - fixed command, no shell
        [str(ENTRY_POINT), "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path: Path) -> None:
    env = _base_env(tmp_path)
    env.update(DEBUG="false", ALLOWED_HOSTS="frontoffice.example.com")
    result = subprocess.run(  # noqa: S603 - fixed command, no shell
        [str(ENTRY_POINT), "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
