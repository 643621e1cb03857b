"""A liveness signal for the processes that serve no HTTP: the Dramatiq worker
and the periodiq scheduler touch `settings.LIVENESS_FILE`, and their health
check (`python -m infra.liveness MAX_AGE_SECONDS`) fails once it grows stale.

A worker touches it every few seconds while all its consumer and worker
threads are alive; the scheduler each time it enqueues a periodic actor
(`scheduler_heartbeat` is due every minute).
"""

import sys
import threading
import time
from pathlib import Path

import dramatiq
from django.conf import settings
from dramatiq.middleware import Middleware

TOUCH_INTERVAL_SECONDS = 5.0


def liveness_touch() -> None:
    path = Path(settings.LIVENESS_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


def liveness_age() -> float:
    """Seconds since the file was last touched (infinite when it never was)."""
    try:
        return time.time() - Path(settings.LIVENESS_FILE).stat().st_mtime
    except FileNotFoundError:
        return float("inf")


class LivenessFile(Middleware):
    def __init__(self) -> None:
        self.stopped = threading.Event()

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self.stopped.clear()
        threading.Thread(target=self._touch_while_alive, args=(worker,), daemon=True, name="liveness").start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self.stopped.set()

    def after_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message, delay: int | None) -> None:
        if "scheduled_at" in message.options:  # sent by periodiq
            liveness_touch()

    def _touch_while_alive(self, worker: dramatiq.Worker) -> None:
        while not self.stopped.is_set():
            threads = [*worker.consumers.values(), *worker.workers]
            if threads and all(thread.is_alive() for thread in threads):
                liveness_touch()
            self.stopped.wait(TOUCH_INTERVAL_SECONDS)


if __name__ == "__main__":
    import django

    django.setup()
    max_age = float(sys.argv[1])
    age = liveness_age()
    print(f"last sign of life {age:.0f} s ago (limit {max_age:.0f} s)")
    sys.exit(0 if age <= max_age else 1)
