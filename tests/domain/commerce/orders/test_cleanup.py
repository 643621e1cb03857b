from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from accounts.models import RefreshToken, ThrottleCounter
from accounts.principal import Principal
from commerce import tasks
from commerce.cleanup import cleanup_run
from commerce.models import Order, Product
from commerce.orders.status import order_transition


def _age(order: Order, minutes: int) -> None:
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(minutes=minutes))


def _tokens(user) -> None:
    now = timezone.now()
    for name, delta in [("expired", -1), ("live", 60)]:
        RefreshToken.objects.create(user=user, token_hash=f"{name:0>64}", expires_at=now + timedelta(minutes=delta))


def test_cleanup_deletes_expired_tokens_and_cancels_stale_pending_orders(
    customer, staff, make_product, place_order, settings, django_capture_on_commit_callbacks, run_tasks
):
    settings.PENDING_ORDER_TTL_MINUTES = 30
    product = make_product(stock=10)
    stale = place_order(customer, product=product, quantity=3)
    fresh = place_order(customer, product=product, quantity=1)
    confirmed = place_order(customer, product=product, quantity=1)
    order_transition(order=confirmed, to="CONFIRMED", principal=Principal.for_user(staff))
    for order in (stale, confirmed):
        _age(order, 31)
    _age(fresh, 29)
    _tokens(customer)
    run_tasks()

    with django_capture_on_commit_callbacks(execute=True):
        report = cleanup_run()

    assert (report.refresh_tokens_deleted, report.orders_cancelled) == (1, 1)
    assert list(RefreshToken.objects.values_list("token_hash", flat=True)) == [f"{'live':0>64}"]
    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses == {stale.pk: "CANCELLED", fresh.pk: "PENDING", confirmed.pk: "CONFIRMED"}
    assert Product.objects.get(pk=product.pk).stock_quantity == 10 - 1 - 1
    step = stale.history.last()
    assert (step.actor, step.note) == (None, "Not paid within 30 minutes.")
    # The owner hears about it like any other cancellation.
    assert run_tasks() == 2

    # Running again finds nothing more to do and restores nothing twice.
    assert cleanup_run().orders_cancelled == 0
    assert Product.objects.get(pk=product.pk).stock_quantity == 8


def test_cleanup_command_and_actor(customer, place_order, run_tasks):
    order = place_order(customer)
    _age(order, 24 * 60)
    _tokens(customer)
    out = StringIO()

    call_command("cleanup", stdout=out)

    assert "Deleted 1 refresh tokens; cancelled 1 unpaid orders." in out.getvalue()
    order.refresh_from_db()
    assert order.status == "CANCELLED"

    RefreshToken.objects.all().delete()
    _tokens(customer)
    run_tasks()
    tasks.cleanup.send()
    assert run_tasks() == 1
    assert RefreshToken.objects.count() == 1


def test_cleanup_deletes_throttle_counters_whose_window_is_over(db):
    now = int(timezone.now().timestamp())
    ThrottleCounter.objects.create(key="throttle:login:ip:10.0.0.1", count=3, window_ends=now - 1)
    ThrottleCounter.objects.create(key="throttle:login:ip:10.0.0.2", count=3, window_ends=now + 60)

    assert cleanup_run().throttle_counters_deleted == 1
    assert list(ThrottleCounter.objects.values_list("key", flat=True)) == ["throttle:login:ip:10.0.0.2"]
