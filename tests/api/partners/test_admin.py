"""The admin goes through the services: tokens shown once, access changes applied."""

import hashlib

import pytest
from django.contrib.messages import get_messages

from partners.models import App, AppScope


@pytest.mark.django_db
def test_admin_creates_an_app_and_shows_the_token_once(client, superuser):
    client.force_login(superuser)
    response = client.post(
        "/admin/partners/app/add/", {"name": "Analytics", "is_active": "on", "scopes": ["orders:read"]}
    )
    assert response.status_code == 302
    app = App.objects.get()
    assert (app.name, app.scopes, app.created_by) == ("Analytics", ["orders:read"], superuser)
    [message] = [str(m) for m in get_messages(response.wsgi_request) if "shown once" in str(m)]
    token = message.rsplit(" ", 1)[1]
    assert app.token_hash == hashlib.sha256(token.encode()).hexdigest()


@pytest.mark.django_db
def test_admin_rotates_and_deactivates(client, superuser, make_app):
    app, old_token = make_app(scopes=(AppScope.ORDERS_READ,))
    client.force_login(superuser)
    client.post("/admin/partners/app/", {"action": "rotate_token", "_selected_action": [app.pk]})
    app.refresh_from_db()
    assert app.token_hash != hashlib.sha256(old_token.encode()).hexdigest()
    client.post(f"/admin/partners/app/{app.pk}/change/", {"name": "Analytics", "scopes": ["orders:read"]})
    app.refresh_from_db()
    assert (app.name, app.is_active) == ("Analytics", False)


@pytest.mark.django_db
def test_admin_pages_render(client, superuser, make_app):
    make_app()
    client.force_login(superuser)
    for url in [
        "/admin/partners/app/",
        "/admin/partners/webhook/",
        "/admin/partners/webhookdelivery/",
        "/admin/partners/webhook/add/",
    ]:
        assert client.get(url).status_code == 200, url
