"""The embedded default's Dramatiq worker and scheduler: threads inside the
serving process.

Without REDIS_URL there is no broker to share, so the process that enqueues
(the web server) also consumes from its in-memory stub broker, and sends the
periodic actors (periodiq `cron` specs) itself, as `make scheduler` does with Redis.
"""

import atexit
import logging
import threading
import time

import dramatiq
import pendulum
from django.utils.module_loading import autodiscover_modules
from dramatiq import Worker

logger = logging.getLogger(__name__)
_worker: Worker | None = None


def _send_due_periodic_actors(broker: dramatiq.Broker, now: pendulum.DateTime) -> None:
    for actor in list(broker.actors.values()):
        spec = actor.options.get("periodic")
        if spec is not None and spec.validate(now):
            actor.send()


def _schedule_forever(broker: dramatiq.Broker) -> None:
    while True:
        time.sleep(60 - time.time() % 60 + 0.5)  # just after each minute boundary
        try:
            _send_due_periodic_actors(broker, pendulum.now().replace(second=0, microsecond=0))
        except Exception:  # the scheduler must outlive one bad tick
            logger.exception("periodic actors not sent")


def start_in_process_worker(threads: int = 2) -> Worker:
    global _worker
    if _worker is None:
        autodiscover_modules("tasks")  # declare every actor before consuming and scheduling
        broker = dramatiq.get_broker()
        _worker = Worker(broker, worker_threads=threads, worker_timeout=100)
        _worker.start()
        atexit.register(_worker.stop)
        threading.Thread(target=_schedule_forever, args=(broker,), name="fmcore-scheduler", daemon=True).start()
    return _worker
