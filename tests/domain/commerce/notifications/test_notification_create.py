"""Creating notifications (`commerce.notifications.services`) in-process."""

from commerce.models import Notification
from commerce.notifications.services import notification_create


def test_a_dedupe_key_makes_creation_idempotent(customer):
    first = notification_create(user=customer, kind="K", title="once", dedupe_key="k-1")
    assert first is not None
    assert notification_create(user=customer, kind="K", title="once", dedupe_key="k-1") is None
    assert Notification.objects.count() == 1
