"""The image installs requirements.txt only: nothing the services import at run
time may come from requirements-dev.txt alone."""

import os
import re
import subprocess
import sys
from importlib.metadata import packages_distributions

from cryptography.fernet import Fernet

from tests.processes import ROOT

# The web app, every actor module (as the worker and the scheduler load them) and Django's checks.
RUNTIME_IMPORTS = """
import sys
from importlib.abc import MetaPathFinder

class DevPackagesAbsent(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in DEV_MODULES:
            raise ImportError(f"{name} is a dev-only package")

sys.meta_path.insert(0, DevPackagesAbsent())
import django
django.setup()
import fmcore.asgi
from django.core.management import call_command
from django.utils.module_loading import autodiscover_modules
autodiscover_modules("tasks")
call_command("check")
"""


def distributions(requirements: str) -> set[str]:
    names = set()
    for line in (ROOT / requirements).read_text().splitlines():
        if match := re.match(r"([A-Za-z0-9_.-]+)(\[[^]]*\])?==", line):
            names.add(match[1].lower().replace("_", "-"))
    return names


def test_runtime_imports_nothing_from_the_dev_requirements():
    dev_only = distributions("requirements-dev.txt") - distributions("requirements.txt")
    assert {"pytest", "daphne", "ruff"} <= dev_only
    dev_modules = {
        module
        for module, dists in packages_distributions().items()
        if any(dist.lower().replace("_", "-") in dev_only for dist in dists) and not module.startswith("_")
    }
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "DJANGO_SETTINGS", "FMCORE"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="fmcore.settings",
        DEBUG="0",
        SECRET_KEY="runtime-import-check-" + "x" * 40,
        FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    script = f"DEV_MODULES = {sorted(dev_modules)!r}\n{RUNTIME_IMPORTS}"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
