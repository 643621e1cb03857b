"""The suite's settings (pytest.ini): fm-core's own with their test defaults switched on.

Processes that tests start (tests/processes.py) run with `fmcore.settings` and no
FMCORE_TESTING, as in production.
"""

import os

os.environ["FMCORE_TESTING"] = "1"

from fmcore.settings import *  # noqa: F403
