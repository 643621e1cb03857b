"""The commerce actors, driven through the stub broker, under redelivery."""

import dramatiq
import pytest
from django.core import mail

from accounts.principal import Principal
from commerce.checkout.services import order_checkout
from commerce.models import Notification, SentEmail
from commerce.notifications import tasks
from commerce.orders.status import order_transition


def duplicate_queued_messages() -> int:
    """Deliver every queued message twice, as a broker may after a lost ack."""
    broker = dramatiq.get_broker()
    duplicated = 0
    for queue in broker.queues.values():
        pending = []
        while not queue.empty():
            pending.append(queue.get_nowait())
            queue.task_done()
        for encoded in pending:
            queue.put(encoded)
            queue.put(encoded)
            duplicated += 1
    return duplicated


def test_order_placed_actors_notify_and_mail_once_under_redelivery(customer, place_order, run_tasks):
    order = place_order(customer)
    assert duplicate_queued_messages() == 2

    assert run_tasks() == 4

    notification = Notification.objects.get(user=customer)
    assert (notification.kind, notification.title) == ("ORDER_PLACED", f"Order {order.number} placed")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [customer.email]
    assert order.number in mail.outbox[0].body
    # A later redelivery of the same message changes nothing either.
    tasks.notify_order_placed.send(order.pk)
    tasks.email_order_placed.send(order.pk)
    assert run_tasks() == 2
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_cancellation_notifies_in_app_and_mails_once(
    customer, place_order, run_tasks, django_capture_on_commit_callbacks
):
    order = place_order(customer)
    run_tasks()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order=order, to="CANCELLED", principal=Principal.for_user(customer), note="too slow")
    duplicate_queued_messages()

    assert run_tasks() == 4

    changed = Notification.objects.get(kind="ORDER_STATUS_CHANGED")
    assert changed.title == f"Order {order.number} was cancelled"
    assert "too slow" in changed.body
    assert [m.subject for m in mail.outbox] == [f"Your order {order.number} was cancelled"]
    assert "Reason: too slow" in mail.outbox[0].body
    assert SentEmail.objects.filter(dedupe_key=f"email:order-cancelled:{order.pk}").count() == 1


def test_a_failed_email_is_retried_then_sent_once(customer, place_order, run_tasks, settings):
    order = place_order(customer)
    settings.EMAIL_BACKEND = "tests.domain.commerce.notifications.failing_mail.EmailBackend"
    with pytest.raises(ConnectionError):
        tasks.email_order_placed.fn(order.pk)
    assert not SentEmail.objects.exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    tasks.email_order_placed.fn(order.pk)
    tasks.email_order_placed.fn(order.pk)
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_actors_once_for_messages_sent_twice(customer, make_product, fill_cart):
    broker = dramatiq.get_broker()
    worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=50)
    worker.start()
    try:
        fill_cart(customer, (make_product(stock=3), 1))
        order = order_checkout(user=customer, payment_method="DUMMY")  # commits: actors enqueued
        tasks.notify_order_placed.send(order.pk)
        tasks.email_order_placed.send(order.pk)
        broker.join(tasks.notify_order_placed.queue_name)
        worker.join()
    finally:
        worker.stop()

    assert Notification.objects.filter(user=customer, kind="ORDER_PLACED").count() == 1
    assert len(mail.outbox) == 1
