"""The embedded default's Dramatiq worker: threads inside the serving process.

Without REDIS_URL there is no broker to share, so the process that enqueues
(the web server) also consumes from its in-memory stub broker.
"""

import atexit

import dramatiq
from dramatiq import Worker

_worker: Worker | None = None


def start_in_process_worker(threads: int = 2) -> Worker:
    global _worker
    if _worker is None:
        _worker = Worker(dramatiq.get_broker(), worker_threads=threads, worker_timeout=100)
        _worker.start()
        atexit.register(_worker.stop)
    return _worker
