"""The committed SDL stays in step with the schema, and is served."""

from pathlib import Path

import pytest
from django.conf import settings

from schema import schema


def test_committed_schema_graphql_is_up_to_date():
    committed = (Path(settings.BASE_DIR) / "schema.graphql").read_text()

    assert committed == schema.as_str() + "\n", (
        "schema.graphql is out of date: run `python manage.py export_schema` and commit it"
    )


def test_schema_graphql_url_serves_the_sdl(client):
    response = client.get("/schema.graphql")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == schema.as_str() + "\n"
    assert "type Query" in response.content.decode()


@pytest.mark.django_db
def test_the_sdl_is_hidden_when_introspection_is_off(client, settings):
    settings.GRAPHQL_INTROSPECTION = False
    assert client.get("/schema.graphql").status_code == 404
