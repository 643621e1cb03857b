"""Typed, validated reading of the environment for fmcore/settings.py (environs).

Every variable is parsed by the reader `env_reader()` returns; a bad value does
not stop the reading, so `env_validate()` at the end of the settings reports
every problem at once, each naming its variable, and the process refuses to start.
"""

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import cast

from cryptography.fernet import Fernet
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured
from environs import Env, EnvError, EnvValidationError
from marshmallow.validate import Range
from periodiq import CronSpec

POSITIVE = Range(min=1)
NOT_NEGATIVE = Range(min=0)

_RATE = re.compile(r"^(\d+)(?:/([smhd])[a-z]*)?$")
_RATE_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# The bounds periodiq accepts per field: minute, hour, day of month, month, day of week.
_CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("dom", 1, 31), ("month", 1, 12), ("dow", 0, 7))


def rate_parse(text: str) -> tuple[int, int]:
    """`N/s`, `N/m`, `N/h` or `N/d` (N >= 1; `N` alone is per minute) as (count, seconds)."""
    match = _RATE.match(text.strip().lower())
    if not match or int(match[1]) < 1:
        raise ValueError(f"expected N/s, N/m, N/h or N/d with N >= 1, got {text!r}")
    return int(match[1]), _RATE_PERIODS[match[2] or "m"]


def _rate(value: str) -> str:
    try:
        rate_parse(value)
    except ValueError as exc:
        raise EnvError(str(exc)) from exc
    return value


def _cron(value: str) -> str:
    error = EnvError(f"expected a cron expression of 5 fields (minute hour day month weekday), got {value!r}")
    if len(value.split()) != 5:
        raise error
    try:
        spec = CronSpec.parse(value)
    except (IndexError, KeyError, ValueError) as exc:
        raise error from exc
    if not all(low <= v <= high for name, low, high in _CRON_FIELDS for v in getattr(spec, name)):
        raise error
    return value


def _duration_parser(unit: str):
    def parse(value: str) -> timedelta:
        try:
            amount = int(value)
        except ValueError as exc:
            raise EnvError(f"expected a whole number of {unit}, got {value!r}") from exc
        if amount < 1:
            raise EnvError(f"must be at least 1 {unit[:-1]}")
        return timedelta(**{unit: amount})

    return parse


def env_reader() -> Env:
    """A reader that collects errors instead of raising, with fm-core's own value types."""
    env = Env(eager=False)
    env.add_parser("rate", _rate)
    env.add_parser("cron", _cron)
    for unit in ("minutes", "hours", "days"):
        env.add_parser(unit, _duration_parser(unit))
    return env


def secret_key_problem(key: str) -> str | None:
    """What `manage.py check --deploy` (security.W009) would object to in a signing key."""
    if not key:
        return "must be set when DEBUG is off"
    if key.startswith(SECRET_KEY_INSECURE_PREFIX):
        return f"must not start with {SECRET_KEY_INSECURE_PREFIX!r} (a development key)"
    if len(key) < SECRET_KEY_MIN_LENGTH or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        return (
            f"too weak: use at least {SECRET_KEY_MIN_LENGTH} characters with at least "
            f"{SECRET_KEY_MIN_UNIQUE_CHARACTERS} different ones, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`"
        )
    return None


def fernet_key_problem(key: str) -> str | None:
    """Why `key` is not a Fernet key (32 url-safe base64-encoded bytes), if it is not."""
    try:
        Fernet(key)
    except ValueError:
        return (
            "not a Fernet key: generate one with "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`"
        )
    return None


def env_validate(env: Env, problems: dict[str, str]) -> None:
    """Refuse to start when any variable failed to parse or a rule in `problems` (name: what is wrong) failed."""
    messages: dict[str, list[str]] = {}
    try:
        env.seal()
    except EnvValidationError as exc:
        # environs reports by variable name; marshmallow's type also allows a bare list.
        by_name = cast(Mapping[str, list[str]], exc.error_messages)
        messages.update({name: list(errors) for name, errors in by_name.items()})
    for name, problem in problems.items():
        messages.setdefault(name, []).append(problem)
    if messages:
        lines = "\n".join(f"  {name}: {'; '.join(errors)}" for name, errors in sorted(messages.items()))
        raise ImproperlyConfigured(f"Invalid configuration in the environment:\n{lines}")
