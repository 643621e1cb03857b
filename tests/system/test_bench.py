"""The benchmark's pieces, cheaply and untimed: the Django baseline and the
bare apps that stand for the limits answer the same data as fm-core, pgbench
replays the SQL fm-core issued, and a server's CPU time is read from /proc."""

from urllib.parse import urlsplit

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.tokens import token_pair_issue
from bench import answers, cpu, operations, pgbench
from bench.loadgen import Request, graphql_body
from commerce.models import PaymentMethod
from tests.factories import cart_fill, make_category, make_product, order_place
from tests.processes import database_url, process_env, running_server


def _port(server) -> int:
    return urlsplit(server.url).port


def _reads(token: str, slug: str) -> dict[str, Request]:
    """One request per bench read, as fm-core's /graphql/ receives it."""
    body = {
        "product_list": graphql_body(operations.PRODUCT_LIST, {"first": 2}),
        "product_detail": graphql_body(operations.PRODUCT_DETAIL, {"slug": slug}),
        "product_list_user": graphql_body(operations.PRODUCT_LIST, {"first": 2}),
        "product_detail_user": graphql_body(operations.PRODUCT_DETAIL, {"slug": slug}),
        "cart": graphql_body(operations.CART),
        "orders": graphql_body(operations.ORDERS, {"first": 10}),
    }
    anonymous = {"product_list", "product_detail"}
    return {name: Request("/graphql/", data, None if name in anonymous else token) for name, data in body.items()}


@pytest.fixture
def shop(customer):
    """Three products (one hidden), a two-line cart and two orders of the customer's."""
    category = make_category()
    products = [make_product(category=category, price=f"{n}.25", images=2) for n in (3, 4, 5)]
    make_product(category=category, active=False)
    for _ in range(2):
        order_place(customer, (products[0], 2), method=PaymentMethod.COD)
    cart_fill(customer, *((product, 3) for product in products[:2]))
    return products


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_baseline_and_the_bare_apps_answer_fm_cores_data_for_every_read(is_postgres, customer, shop):
    if not is_postgres:
        pytest.skip("the servers share the test's PostgreSQL database")
    requests = _reads(token_pair_issue(user=customer).token, shop[1].slug)
    env = {"JWT_SECRET_KEY": settings.JWT_SECRET_KEY}
    with (
        running_server(DJANGO_SETTINGS_MODULE="bench.settings", **env) as fm,
        running_server(app="bench.bare_sql:app", **env) as bare_sql,
        running_server(app="bench.bare_cached:app", **env) as bare_cached,
    ):
        client = redis.Redis.from_url(process_env()["REDIS_URL"])  # the bare cached app's Redis
        for name, request in requests.items():
            baseline_path = operations.READS[name][1]
            status, reference = answers.fetch(_port(fm), request)
            assert status == 200, reference
            answers.store(client, request, reference)
            others = {
                "baseline": answers.fetch(_port(fm), Request(baseline_path, request.body, request.token))[1],
                "bare_sql": answers.fetch(_port(bare_sql), Request(baseline_path, request.body, request.token))[1],
            }
            assert answers.same_data(reference, others) == {"baseline": True, "bare_sql": True}, (name, others)
            assert answers.fetch(_port(bare_cached), request) == (200, reference), name
        assert cpu.tree_cpu_seconds(fm.popen.pid) > 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pgbench_replays_the_sql_fm_core_issued_for_a_read(is_postgres, customer, shop):
    if not is_postgres:
        pytest.skip("pgbench runs against PostgreSQL")
    if not pgbench.available():
        pytest.skip("pgbench is not installed")
    request = _reads(token_pair_issue(user=customer).token, shop[1].slug)["orders"]
    with CaptureQueriesContext(connection) as captured:
        response = Client().post(
            "/graphql/", request.body, content_type="application/json", HTTP_AUTHORIZATION=f"JWT {request.token}"
        )
    assert response.status_code == 200
    statements = [query["sql"] for query in captured.captured_queries]
    assert any("commerce_order" in statement for statement in statements)

    script = settings.BASE_DIR / "var" / "test-pgbench-orders.sql"
    script.parent.mkdir(exist_ok=True)
    script.write_text(pgbench.script(statements))
    result = pgbench.run(database_url(), script, concurrency=1, seconds=1)

    assert result["requests"] > 0
    assert result["errors"] == 0


def test_the_report_shows_the_websocket_figures_and_what_a_partial_run_kept():
    import json

    from bench import report

    results = json.loads((settings.BASE_DIR / "bench" / "results.json").read_text())
    fan = results["fanout"]
    fan.update(subscribers=1000, p95_ms=120.0, deliveries=fan["expected"], failure_count=0)
    fan["memory"].update(idle_kb_per_subscriber=60.0)
    results["carried_over"] = {"reads": "2026-12-01 11:10 UTC"}

    text = report.render(results)

    assert "kept from an earlier one: reads from the run of 2026-12-01 11:10 UTC." in text
    assert "| fan-out p95, from commit to receipt | 120.0 ms | < 250 ms: met |" in text
    assert "| memory per idle subscriber (workers' RSS, connected - before) | 60.0 KB | <= 50 KB: **missed** |" in text
    assert f"{fan['stale_group_members_after_close']} / {fan['stale_group_members_after_waves']} | 0 |" in text
