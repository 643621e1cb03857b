"""Settings of the fm-core server the bench measures: production's own, with the
hand-written baseline views routed next to /graphql/ (bench/urls.py).

Only the bench sets DJANGO_SETTINGS_MODULE=bench.settings: production code never
imports bench/.
"""

from fmcore.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
