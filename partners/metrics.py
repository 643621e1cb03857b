"""The webhook backlog per app, read from the database at every metrics scrape."""

from collections.abc import Iterable

from django.db import DatabaseError
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from observability.metrics import PREFIX

from .selectors import apps_with_backlog


def _families() -> tuple[GaugeMetricFamily, ...]:
    return (
        GaugeMetricFamily(
            f"{PREFIX}webhook_backlog",
            "Webhook deliveries not done, by app and state: pending (waiting for an attempt), "
            "unsent (pending and still in the outbox), failed (every attempt failed).",
            labels=["app", "state"],
        ),
        GaugeMetricFamily(
            f"{PREFIX}webhook_oldest_pending_age_seconds",
            "Age of the oldest pending webhook delivery, by app (0 when none).",
            labels=["app"],
        ),
    )


class WebhookBacklogCollector(Collector):
    """`fmcore_webhook_backlog{app,state}` and `fmcore_webhook_oldest_pending_age_seconds{app}`.

    Labelled by app name (bounded: staff create apps); apps sharing a name are added up.
    """

    def describe(self) -> Iterable[Metric]:
        return _families()  # without samples: registering must not read the database

    def collect(self) -> Iterable[Metric]:
        backlog, oldest_age = _families()
        try:
            apps = list(apps_with_backlog())
        except DatabaseError:  # the scrape still reports everything else
            return (backlog, oldest_age)
        now = timezone.now()
        totals: dict[str, dict[str, float]] = {}
        for app in apps:
            figures = totals.setdefault(app.name, {"pending": 0, "unsent": 0, "failed": 0, "age": 0.0})
            figures["pending"] += app.pending_deliveries
            figures["unsent"] += app.unsent_deliveries
            figures["failed"] += app.failed_deliveries
            if app.oldest_pending_at is not None:
                figures["age"] = max(figures["age"], (now - app.oldest_pending_at).total_seconds())
        for name, figures in sorted(totals.items()):
            for state in ("pending", "unsent", "failed"):
                backlog.add_metric([name, state], figures[state])
            oldest_age.add_metric([name], max(figures["age"], 0.0))
        return (backlog, oldest_age)
