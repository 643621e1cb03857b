"""Every setting is validated when a process starts: a bad environment stops
`manage.py` and uvicorn with every wrong variable named, before serving anything."""

import os
import re
import secrets
import subprocess

import pytest
from cryptography.fernet import Fernet

from tests.processes import PYTHON, ROOT, free_port

OPERATIONS_DOC = ROOT / "docs" / "operations.md"


def production_env(**overrides: str) -> dict[str, str]:
    """A valid production environment (DEBUG off, not a test run), plus `overrides`; "" removes a variable."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "FMCORE_TESTING"))}
    env.update(
        DJANGO_SETTINGS_MODULE="fmcore.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
    )
    env.update(overrides)
    return {key: value for key, value in env.items() if value != ""}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_a_valid_production_environment_starts():
    result = manage("check", env=production_env())

    assert result.returncode == 0, result.stderr


def test_every_bad_variable_is_named_at_once():
    bad = {
        "AUTH_RATE_LIMIT": "10 per minute",
        "CLEANUP_CRON": "every 15 minutes",
        "FRONTEND_URL": "localhost:3000",
        "PAYMENTS_PUBLIC_BASE_URL": "ftp://api.example.com",
        "MAX_LINE_QUANTITY": "0",
        "JWT_ACCESS_MINUTES": "fifteen",
        "GRAPHQL_INTROSPECTION": "maybe",
        "WEBHOOK_TIMEOUT_SECONDS": "0",
        "OUTBOX_RETENTION_DAYS": "0",
        "WORKER_METRICS_PORT": "70000",
    }

    result = manage("check", env=production_env(**bad))

    assert result.returncode != 0
    problems = dict(re.findall(r"^  ([A-Z0-9_]+): (.+)$", result.stderr, re.MULTILINE))
    assert set(problems) == set(bad), result.stderr
    assert "N/m" in problems["AUTH_RATE_LIMIT"]
    assert "cron" in problems["CLEANUP_CRON"]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("", "must be set"),
        ("short-key", "too weak"),
        ("a" * 60, "too weak"),
        ("django-insecure-" + secrets.token_urlsafe(50), "development key"),
    ],
)
def test_a_weak_secret_key_refuses_to_start(key, expected):
    result = manage("check", env=production_env(SECRET_KEY=key))

    assert result.returncode != 0
    assert re.search(rf"^  SECRET_KEY: .*{expected}", result.stderr, re.MULTILINE), result.stderr


@pytest.mark.parametrize("name", ["SECRET_KEY_FALLBACKS", "JWT_SECRET_KEY_FALLBACKS"])
def test_a_weak_fallback_key_refuses_to_start(name):
    result = manage("check", env=production_env(**{name: f"{secrets.token_urlsafe(50)},short-key"}))

    assert result.returncode != 0
    assert re.search(rf"^  {name}: key 2: too weak", result.stderr, re.MULTILINE), result.stderr


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ("", "must be set when DEBUG is off"),
        ("not-a-fernet-key", "key 1: not a Fernet key"),
        (f"{Fernet.generate_key().decode()},{secrets.token_urlsafe(50)}", "key 2: not a Fernet key"),
    ],
)
def test_a_missing_or_wrong_field_encryption_key_refuses_to_start(keys, expected):
    result = manage("check", env=production_env(FIELD_ENCRYPTION_KEY=keys))

    assert result.returncode != 0
    assert re.search(rf"^  FIELD_ENCRYPTION_KEY: {expected}", result.stderr, re.MULTILINE), result.stderr


def test_refresh_tokens_shorter_lived_than_access_tokens_refuse_to_start():
    # A logout refuses its access token through the session's refresh rows, which must outlive it.
    result = manage("check", env=production_env(JWT_ACCESS_MINUTES=str(8 * 24 * 60), JWT_REFRESH_DAYS="7"))

    assert result.returncode != 0
    assert "JWT_REFRESH_DAYS: refresh tokens must live at least as long as access tokens" in result.stderr


def test_debug_off_without_email_configuration_refuses_to_start():
    result = manage("check", env=production_env(EMAIL_BACKEND="", ANYMAIL_ESP=""))

    assert result.returncode != 0
    assert "EMAIL_BACKEND: set EMAIL_BACKEND or ANYMAIL_ESP when DEBUG is off" in result.stderr


def test_an_email_provider_configures_email():
    assert manage("check", env=production_env(EMAIL_BACKEND="", ANYMAIL_ESP="mailgun")).returncode == 0

    result = manage("check", env=production_env(EMAIL_BACKEND="", ANYMAIL_ESP="carrier-pigeon"))
    assert result.returncode != 0
    assert "ANYMAIL_ESP: 'carrier-pigeon' is not a django-anymail provider" in result.stderr


def test_debug_needs_no_production_settings():
    result = manage("check", env=production_env(DEBUG="1", SECRET_KEY="", FIELD_ENCRYPTION_KEY="", EMAIL_BACKEND=""))

    assert result.returncode == 0, result.stderr


def test_uvicorn_refuses_to_start_with_a_bad_variable():
    argv = [PYTHON, "-m", "uvicorn", "fmcore.asgi:application", "--host", "127.0.0.1", "--port", str(free_port())]

    result = subprocess.run(
        argv, cwd=ROOT, env=production_env(AUTH_RATE_LIMIT="lots"), capture_output=True, text=True, timeout=120
    )

    assert result.returncode != 0
    assert "AUTH_RATE_LIMIT: expected N/s, N/m, N/h or N/d" in result.stderr


def documented_production_env() -> dict[str, str]:
    """The variables of the production example in docs/operations.md."""
    block = re.search(r"```sh\n# production\n(.*?)```", OPERATIONS_DOC.read_text(), re.DOTALL)
    assert block, "docs/operations.md lost its production example"
    return dict(line.split("=", 1) for line in block[1].splitlines() if line and not line.startswith("#"))


def test_the_documented_production_configuration_passes_check_deploy():
    documented = documented_production_env()
    # The document shows placeholders.
    documented["SECRET_KEY"] = secrets.token_urlsafe(50)
    documented["FIELD_ENCRYPTION_KEY"] = Fernet.generate_key().decode()

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(**documented))

    assert result.returncode == 0, result.stdout + result.stderr
