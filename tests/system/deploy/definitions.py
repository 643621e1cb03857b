"""The deployment as written: docker-compose.yml's services and the Dockerfile's
ENV and CMD, turned into commands this machine can run with the local venv
(compose-only hosts replaced by this test session's PostgreSQL and Redis)."""

import re
import shlex
import sys
from pathlib import Path

import yaml
from django.conf import settings

from tests.processes import ROOT, database_url

COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
CADDYFILE = ROOT / "deploy" / "Caddyfile"
PROMETHEUS_CONFIG = ROOT / "deploy" / "prometheus" / "prometheus.yml"

_VARIABLE = re.compile(r"\$\{(\w+)(?::([-?])([^}]*))?\}")


def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def service(name: str) -> dict:
    return compose()["services"][name]


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?error}`."""

    def substitute(match: re.Match) -> str:
        name, kind, rest = match.groups()
        if variables.get(name):
            return variables[name]
        assert kind != "?", f"compose requires {name}: {rest}"
        return rest if kind == "-" else ""

    return _VARIABLE.sub(substitute, value)


def dockerfile_instructions(keyword: str) -> list[str]:
    """The arguments of every `keyword` instruction, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    return [line.split(None, 1)[1] for line in text.splitlines() if line.startswith(f"{keyword} ")]


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for arguments in dockerfile_instructions("ENV"):
        env.update(pair.split("=", 1) for pair in shlex.split(arguments))
    return env


def image_cmd() -> list[str]:
    (cmd,) = dockerfile_instructions("CMD")
    return yaml.safe_load(cmd)  # the exec form is a JSON array


def local_env(name: str, **variables: str) -> dict[str, str]:
    """The environment a service's container gets (image ENV, then compose's), as
    run here: `variables` stand for the shell's when compose interpolates, and
    the compose network's PostgreSQL and Redis become this session's."""
    env = image_env()
    for key, value in (service(name).get("environment") or {}).items():
        env[key] = interpolate(str(value), variables)
    env["DATABASE_URL"] = database_url()
    env["REDIS_URL"] = settings.REDIS_URL
    return env


def local_argv(name: str, env: dict[str, str]) -> list[str]:
    """The service's command (or the image's CMD) as this machine runs it."""
    command = service(name).get("command") or image_cmd()
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    if argv[:2] == ["sh", "-c"]:
        argv = shlex.split(_VARIABLE.sub(lambda match: env[match.group(1)], argv[2]).removeprefix("exec "))
    return local_command(argv)


def local_command(argv: list[str]) -> list[str]:
    """`python` and the console scripts (uvicorn, periodiq) from this venv."""
    venv_bin = Path(sys.executable).parent
    if (venv_bin / argv[0]).exists():
        return [str(venv_bin / argv[0]), *argv[1:]]
    return argv
