"""Observability through the public surface: request ids, JSON log lines of real
servers and workers, /metrics of a two-worker server, health probes whatever
ALLOWED_HOSTS is, JSON 503 with the database gone, tracing and Sentry."""

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import dramatiq
import pytest
import requests
import yaml
from django.db import connection
from django.test import override_settings
from dramatiq.brokers.redis import RedisBroker
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from prometheus_client.parser import text_string_to_metric_families

from fmcore.models import OutboxMessage
from fmcore.outbox import outbox_relay
from tests.processes import free_port, process_token, running_server, running_worker
from tests.receivers import http_receiver

ROOT = Path(__file__).resolve().parent.parent
GENERATED_ID = re.compile(r"[0-9a-f]{32}")
ME = "query Me { me { email } }"
REQUEST_RESET = 'mutation RequestReset { requestPasswordReset(email: "customer@example.com") { __typename } }'
PRODUCTS = "query Products { products(first: 1) { totalCount } }"


def real_processes(test):
    """Tests of real servers and workers: they share this session's PostgreSQL database."""
    for mark in (
        pytest.mark.postgres,
        pytest.mark.django_db(transaction=True),
        pytest.mark.skipif(connection.vendor != "postgresql", reason="real processes need PostgreSQL"),
    ):
        test = mark(test)
    return test


def post_graphql(client, query: str, **headers):
    return client.post("/graphql/", json.dumps({"query": query}), content_type="application/json", headers=headers)


def json_lines(output: str) -> list[dict]:
    lines = []
    for line in output.splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue
    return lines


def wait_for_line(process, predicate, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [line for line in json_lines(process.output()) if predicate(line)]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"no such log line within {timeout} s:\n{process.output()[-5000:]}")


def server_post(server, query: str, variables: dict | None = None, **headers) -> requests.Response:
    return requests.post(
        f"{server.url}/graphql/", json={"query": query, "variables": variables or {}}, headers=headers, timeout=30
    )


# --- request ids ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_valid_request_id_is_kept_and_echoed_everywhere(client):
    assert post_graphql(client, ME, **{"X-Request-ID": "edge-42.a_b"})["X-Request-ID"] == "edge-42.a_b"
    for response in (
        client.get("/no/such/page/", headers={"X-Request-ID": "abc"}),
        client.get("/health/", headers={"X-Request-ID": "abc"}),
        client.get("/health/live", headers={"X-Request-ID": "abc"}),
        post_graphql(client, "{ nope }", **{"X-Request-ID": "abc"}),
    ):
        assert response["X-Request-ID"] == "abc", response.status_code


@pytest.mark.django_db
@pytest.mark.parametrize("incoming", [None, "", "has space", 'quote"d', "x" * 129, "semi;colon"])
def test_an_invalid_or_missing_request_id_is_replaced(client, incoming):
    headers = {} if incoming is None else {"X-Request-ID": incoming}
    first = post_graphql(client, ME, **headers)["X-Request-ID"]
    second = post_graphql(client, ME, **headers)["X-Request-ID"]
    assert GENERATED_ID.fullmatch(first) and first != second


@pytest.mark.django_db
def test_the_request_id_survives_the_outbox(client, run_tasks, mailoutbox, customer):
    """A message that waited in the outbox (broker down at commit) still carries the id of its request."""
    working = dramatiq.get_broker()
    dramatiq.set_broker(RedisBroker(url="redis://127.0.0.1:1/0"))  # nothing listens on port 1
    try:
        post_graphql(client, REQUEST_RESET, **{"X-Request-ID": "reset-req-1"})
    finally:
        dramatiq.set_broker(working)
    [row] = OutboxMessage.objects.filter(sent_at__isnull=True)
    assert row.options["request_id"] == "reset-req-1"

    assert outbox_relay(older_than=timedelta(0)) == 1
    [queue] = [q for q in working.queues.values() if not q.empty()]
    message = dramatiq.Message.decode(queue.queue[0])
    assert message.options["request_id"] == "reset-req-1"
    assert run_tasks() == 1 and len(mailoutbox) == 1


# --- JSON logs of real processes ------------------------------------------------


@real_processes
def test_json_log_lines_of_a_real_server_and_worker(customer):
    with running_server() as server, running_worker() as worker:
        token = process_token(customer)
        response = server_post(server, ME, **{"Authorization": f"JWT {token}", "X-Request-ID": "me-req-1"})
        assert response.json() == {"data": {"me": {"email": customer.email}}}
        assert response.headers["X-Request-ID"] == "me-req-1"

        line = wait_for_line(
            server, lambda line: line.get("request_id") == "me-req-1" and line["logger"] == "fmcore.access"
        )
        assert line["logger"] == "fmcore.access"
        assert line["level"] == "INFO"
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", line["timestamp"])
        assert (line["method"], line["path"], line["status"]) == ("POST", "/graphql/", 200)
        assert line["duration_ms"] > 0
        assert (line["operation_name"], line["operation_type"]) == ("Me", "query")
        assert line["user_id"] == customer.pk and line["app_id"] is None
        assert line["error_code"] is None
        assert line["sql_queries"] >= 1

        refused = server_post(server, "{ nope }", **{"X-Request-ID": "bad-req-1"})
        assert refused.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        line = wait_for_line(
            server, lambda line: line.get("request_id") == "bad-req-1" and line["logger"] == "fmcore.access"
        )
        assert line["error_code"] == "GRAPHQL_VALIDATION_FAILED" and line["user_id"] is None

        # The actor the request caused logs, in the worker, with the same id.
        server_post(server, REQUEST_RESET, **{"X-Request-ID": "reset-req-2"})
        actor_line = wait_for_line(worker, lambda line: line.get("logger") == "fmcore.actors")
        assert actor_line["request_id"] == "reset-req-2"
        assert actor_line["actor"] == "send_password_reset_email"
        assert actor_line["outcome"] == "succeeded"
        assert actor_line["message_id"] and actor_line["duration_ms"] >= 0
    assert not [line for line in json_lines(server.output()) if line.get("logger") == "uvicorn.access"]


# --- metrics ----------------------------------------------------------------------


def metric_samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def total(samples: dict, metric: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(
        value for (sample, sample_labels), value in samples.items() if sample == metric and wanted <= sample_labels
    )


@real_processes
def test_metrics_of_a_two_worker_server(tmp_path):
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    with running_server(
        "--workers", "2", METRICS_TOKEN="scrape-token", PROMETHEUS_MULTIPROC_DIR=str(multiproc)
    ) as server:
        sent = 0

        def query(_) -> int:
            return server_post(server, PRODUCTS).status_code

        # Concurrent requests until both workers have answered some (each writes files named by its pid).
        with ThreadPoolExecutor(max_workers=8) as pool:
            while sent < 400:
                assert set(pool.map(query, range(16))) == {200}
                sent += 16
                pids = {path.stem.rsplit("_", 1)[1] for path in multiproc.glob("counter_*.db")}
                if len(pids) >= 2:
                    break
        assert len(pids) >= 2, "both workers served"

        assert requests.get(f"{server.url}/metrics", timeout=10).status_code == 401
        wrong = requests.get(f"{server.url}/metrics", headers={"Authorization": "Bearer nope"}, timeout=10)
        assert wrong.status_code == 401
        scraped = requests.get(f"{server.url}/metrics", headers={"Authorization": "Bearer scrape-token"}, timeout=10)
        assert scraped.status_code == 200
    samples = metric_samples(scraped.text)
    assert total(samples, "fmcore_graphql_operations_total", name="Products", type="query", outcome="success") == sent
    assert total(samples, "fmcore_graphql_operation_duration_seconds_count", name="Products") == sent
    assert total(samples, "fmcore_http_requests_total", method="POST", status="200") == sent
    # The same anonymous catalog query: misses until the first answer is stored, hits after.
    hits = total(samples, "fmcore_answer_cache_total", result="hit")
    misses = total(samples, "fmcore_answer_cache_total", result="miss")
    assert hits + misses == sent and hits >= 1 and misses >= 1
    assert total(samples, "fmcore_http_request_sql_queries_count") >= sent
    assert total(samples, "fmcore_errors_total") == 0
    assert ("fmcore_outbox_backlog", frozenset()) in samples


# --- health probes, and the database gone ---------------------------------------


@real_processes
def test_health_probes_whatever_allowed_hosts_is():
    with running_server(ALLOWED_HOSTS="api.example.com") as server:
        stranger = {"Host": "10.1.2.3:8000", "X-Request-ID": "probe-1"}
        live = requests.get(f"{server.url}/health/live", headers=stranger, timeout=10)
        assert (live.status_code, live.json(), live.headers["X-Request-ID"]) == (200, {"status": "ok"}, "probe-1")
        ready = requests.get(f"{server.url}/health/ready", headers=stranger, timeout=10)
        assert ready.status_code == 200
        assert ready.json()["status"] == "ok"
        assert {k: ready.json()[k] for k in ("database", "cache", "broker", "outbox")} == dict.fromkeys(
            ("database", "cache", "broker", "outbox"), "ok"
        )
        # Every other path still validates the host.
        other = requests.get(f"{server.url}/health/", headers=stranger, timeout=10)
        assert other.status_code == 400 and other.headers["X-Request-ID"] == "probe-1"
        assert requests.get(f"{server.url}/health/", headers={"Host": "api.example.com"}, timeout=10).status_code == 200
        # No METRICS_TOKEN: no /metrics.
        metrics = requests.get(f"{server.url}/metrics", headers={"Host": "api.example.com"}, timeout=10)
        assert metrics.status_code == 404


@pytest.mark.django_db
def test_ready_fails_when_the_outbox_stops_draining(client):
    OutboxMessage.objects.create(actor_name="a", queue_name="default")
    OutboxMessage.objects.update(created_at=OutboxMessage.objects.get().created_at - timedelta(hours=1))
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["outbox"] == "unavailable" and response.json()["database"] == "ok"


def assert_service_unavailable(response: requests.Response, request_id: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["X-Request-ID"] == request_id
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE", "requestId": request_id}
    assert error["message"]


@real_processes
def test_database_unreachable_answers_json_503_and_reports_to_sentry(customer):
    token = process_token(customer)
    with http_receiver() as sentry:
        env = {
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{free_port()}/nowhere",  # nothing listens there
            "DB_POOL_TIMEOUT": "1",
            "SENTRY_DSN": f"http://public@{sentry.url.removeprefix('http://')}/1",
        }
        with running_server(**env) as server:
            # Inside GraphQL (a resolver's query) and outside it (the token's user is read before executing).
            assert_service_unavailable(server_post(server, PRODUCTS, **{"X-Request-ID": "db-1"}), "db-1")
            authed = server_post(server, ME, **{"X-Request-ID": "db-2", "Authorization": f"JWT {token}"})
            assert_service_unavailable(authed, "db-2")
            ready = requests.get(f"{server.url}/health/ready", timeout=30)
            assert ready.status_code == 503 and ready.json()["database"] == "unavailable"
            assert requests.get(f"{server.url}/health/live", timeout=10).status_code == 200

            def reported(request_id: str):
                return lambda received: any(
                    b"OperationalError" in r.body and f'"request_id":"{request_id}"'.encode() in r.body
                    for r in received
                )

            sentry.wait_for(reported("db-1"))
            sentry.wait_for(reported("db-2"))
    assert all(r.path == "/api/1/envelope/" for r in sentry.requests)


# --- tracing ----------------------------------------------------------------------


def span_scopes(received) -> dict[str, list[str]]:
    scopes: dict[str, list[str]] = {}
    for r in received:
        export = ExportTraceServiceRequest()
        export.ParseFromString(r.body)
        for resource_spans in export.resource_spans:
            for scope_spans in resource_spans.scope_spans:
                names = scopes.setdefault(scope_spans.scope.name, [])
                names.extend(span.name for span in scope_spans.spans)
    return scopes


@real_processes
def test_traces_reach_an_otlp_collector():
    wanted = {
        "opentelemetry.instrumentation.django",
        "opentelemetry.instrumentation.psycopg",
        "opentelemetry.instrumentation.redis",
        "strawberry",
    }
    with http_receiver() as collector:
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": collector.url, "OTEL_BSP_SCHEDULE_DELAY": "200"}
        with running_server(**env) as server:
            assert server_post(server, PRODUCTS).status_code == 200
            try:
                collector.wait_for(lambda received: wanted <= set(span_scopes(received)))
            except AssertionError as error:
                raise AssertionError(f"{span_scopes(collector.requests)}\n{server.output()[-3000:]}") from error
    assert {r.path for r in collector.requests} == {"/v1/traces"}
    scopes = span_scopes(collector.requests)
    assert any("graphql" in name.lower() for name in scopes["opentelemetry.instrumentation.django"])


def test_no_tracing_without_an_endpoint():
    from schema import schema

    assert not any("OpenTelemetry" in getattr(e, "__name__", "") for e in schema.extensions)


# --- dashboards and alerts ---------------------------------------------------------


@pytest.mark.django_db
@override_settings(METRICS_TOKEN="t")
def test_dashboard_and_alerts_reference_only_exported_metrics(client):
    exported = set()
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
    response = client.get("/metrics", headers={"Authorization": "Bearer t"})
    assert response.status_code == 200
    for family in text_string_to_metric_families(response.content.decode()):
        exported.update(family.name + suffix for suffix in suffixes.get(family.type, ("",)))
    dashboard = (ROOT / "deploy/grafana/fm-core.json").read_text()
    json.loads(dashboard)
    alerts = yaml.safe_load((ROOT / "deploy/prometheus/alerts.yml").read_text())
    expressions = [rule["expr"] for group in alerts["groups"] for rule in group["rules"]]
    assert expressions
    referenced = set(re.findall(r"\bfmcore_[a-z_]+", dashboard + "\n".join(expressions)))
    assert referenced, "the dashboard and the alerts use fm-core's metrics"
    assert referenced <= exported, referenced - exported
