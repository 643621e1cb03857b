"""The embedded default's scheduler sends exactly the periodic actors that are due."""

import dramatiq
import pendulum
from dramatiq import Message

from infra.inprocess_worker import _send_due_periodic_actors


def _queued_actor_names(broker) -> list[str]:
    names = []
    for queue in broker.queues.values():
        while not queue.empty():
            names.append(Message.decode(queue.get_nowait()).actor_name)
            queue.task_done()
    return sorted(names)


def test_due_periodic_actors_are_sent():
    broker = dramatiq.get_broker()
    _send_due_periodic_actors(broker, pendulum.datetime(2026, 11, 23, 10, 15))
    assert _queued_actor_names(broker) == ["cleanup", "scheduler_heartbeat"]
    _send_due_periodic_actors(broker, pendulum.datetime(2026, 11, 23, 10, 16))
    assert _queued_actor_names(broker) == ["scheduler_heartbeat"]
