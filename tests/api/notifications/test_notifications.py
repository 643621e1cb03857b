from commerce.models import Notification
from commerce.notifications.services import notification_create
from tests.conftest import codes
from tests.factories import gid

NOTIFICATIONS = """
query($filters: NotificationFilter) {
  notifications(filters: $filters) { totalCount edges { node { id kind title body read createdAt } } }
}
"""
MARK_READ = """
mutation($ids: [ID!]) {
  markNotificationsRead(ids: $ids) {
    __typename
    ... on OkPayload { ok }
    ... on OperationInfo { messages { code } }
  }
}
"""


def _titles(data: dict) -> list[str]:
    return [edge["node"]["title"] for edge in data["notifications"]["edges"]]


def test_notifications_are_your_own_newest_first_and_filter_unread(gql, customer, make_user):
    other = make_user()
    old = notification_create(user=customer, kind="ORDER_PLACED", title="old")
    notification_create(user=customer, kind="ORDER_STATUS_CHANGED", title="new")
    notification_create(user=other, kind="ORDER_PLACED", title="not yours")
    Notification.objects.filter(pk=old.pk).update(read=True)

    assert _titles(gql(NOTIFICATIONS, user=customer)) == ["new", "old"]
    assert _titles(gql(NOTIFICATIONS, {"filters": {"unread": True}}, user=customer)) == ["new"]
    assert _titles(gql(NOTIFICATIONS, {"filters": {"unread": False}}, user=customer)) == ["old"]
    assert gql(NOTIFICATIONS)["notifications"] == {"totalCount": 0, "edges": []}


def test_mark_some_read_ignoring_other_peoples_ids(gql, customer, make_user):
    other = make_user()
    a = notification_create(user=customer, kind="K", title="a")
    b = notification_create(user=customer, kind="K", title="b")
    theirs = notification_create(user=other, kind="K", title="theirs")
    ids = [gid("Notification", n.pk) for n in (a, theirs)] + [gid("Order", b.pk)]

    assert gql(MARK_READ, {"ids": ids}, user=customer)["markNotificationsRead"] == {
        "__typename": "OkPayload",
        "ok": True,
    }

    assert set(Notification.objects.filter(read=True).values_list("title", flat=True)) == {"a"}


def test_mark_all_read_when_no_ids(gql, customer, make_user):
    other = make_user()
    for title in ("a", "b"):
        notification_create(user=customer, kind="K", title=title)
    notification_create(user=other, kind="K", title="theirs")

    for variables in ({}, {"ids": []}):
        assert gql(MARK_READ, variables, user=customer)["markNotificationsRead"]["ok"] is True
    assert not Notification.objects.filter(user=customer, read=False).exists()
    assert Notification.objects.get(user=other).read is False


def test_anonymous_cannot_mark_read(gql):
    assert codes(gql(MARK_READ)["markNotificationsRead"]) == ["UNAUTHENTICATED"]
