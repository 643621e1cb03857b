"""The outbox relay of every worker process: a Dramatiq middleware whose
thread runs `outbox_relay` every `OUTBOX_RELAY_INTERVAL_SECONDS`."""

import logging
import threading

import dramatiq
from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger("fmcore.outbox")


class OutboxRelay(dramatiq.Middleware):
    """Starts the relay thread when a worker boots, stops it when the worker shuts down."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._relay_forever, name="fmcore-outbox-relay", daemon=True)
        self._thread.start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _relay_forever(self) -> None:
        # django_dramatiq builds its middleware before the models load: import them now.
        from .outbox import outbox_relay

        while not self._stop.wait(settings.OUTBOX_RELAY_INTERVAL_SECONDS):
            close_old_connections()
            try:
                sent = outbox_relay()
            except Exception:  # the database is down: the next round tries again
                logger.exception("outbox relay round failed")
            else:
                if sent:
                    logger.info("outbox relay sent %s message(s)", sent)
            finally:
                close_old_connections()
