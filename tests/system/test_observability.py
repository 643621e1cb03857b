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
from django.conf import settings
from django.db import connection
from django.test import override_settings
from dramatiq.brokers.redis import RedisBroker
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from websockets.sync.client import connect

from accounts.principal import Principal
from infra.models import OutboxMessage
from infra.outbox import outbox_relay
from partners import services as partner_services
from partners.models import AppScope, WebhookDelivery, WebhookDeliveryStatus, WebhookEventType
from partners.outgoing_webhooks import webhook_event_emit
from partners.tasks import QUEUE as WEBHOOK_QUEUE
from tests.processes import ROOT, free_port, json_lines, process_token, running_server, running_worker
from tests.receivers import http_receiver

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


def scraped_samples(url: str, token: str = "scrape-token") -> dict:
    response = requests.get(f"{url}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 200, response.text
    return metric_samples(response.text)


def wait_for_gauges(url: str, process, **expected: float) -> None:
    """Poll the scrape until every `fmcore_<name>` gauge has its expected value."""
    deadline = time.monotonic() + 60
    while True:
        samples = scraped_samples(url)
        seen = {name: total(samples, f"fmcore_{name}") for name in expected}
        if seen == expected:
            return
        assert process.popen.poll() is None, process.output()[-5000:]
        assert time.monotonic() < deadline, f"gauges {seen}, expected {expected}"
        time.sleep(0.2)


@real_processes
def test_websocket_gauges_follow_a_real_graphql_transport_ws_client(customer, tmp_path):
    token = process_token(customer)
    env = {"METRICS_TOKEN": "scrape-token", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    with running_server("--ws", "websockets", **env) as server:
        wait_for_gauges(server.url, server, websocket_connections=0, websocket_subscriptions=0)
        url = server.url.replace("http://", "ws://") + "/graphql/"
        with connect(url, subprotocols=["graphql-transport-ws"], open_timeout=30) as socket:
            socket.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"JWT {token}"}}))
            assert json.loads(socket.recv(timeout=30)) == {"type": "connection_ack"}
            wait_for_gauges(server.url, server, websocket_connections=1, websocket_subscriptions=0)

            subscribe = {"query": "subscription { orderStatusChanged { toStatus } }"}
            socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
            wait_for_gauges(server.url, server, websocket_connections=1, websocket_subscriptions=1)

            socket.send(json.dumps({"id": "1", "type": "complete"}))
            wait_for_gauges(server.url, server, websocket_connections=1, websocket_subscriptions=0)

            # A client that goes away with a subscription running ends both.
            socket.send(json.dumps({"id": "2", "type": "subscribe", "payload": subscribe}))
            wait_for_gauges(server.url, server, websocket_connections=1, websocket_subscriptions=1)
        wait_for_gauges(server.url, server, websocket_connections=0, websocket_subscriptions=0)


def actor_runs_by_process(multiproc: Path, actor: str) -> dict[str, float]:
    """Per worker process (pid), the runs of `actor` it wrote to its own metrics file."""
    runs = {}
    for path in multiproc.glob("counter_*.db"):
        samples = {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in MultiProcessCollector.merge([str(path)], accumulate=False)
            for sample in family.samples
        }
        runs[path.stem.rsplit("_", 1)[1]] = total(samples, "fmcore_actor_runs_total", actor=actor, outcome="succeeded")
    return {pid: count for pid, count in runs.items() if count}


@real_processes
@pytest.mark.redis
@pytest.mark.skipif(not settings.REDIS_URL, reason="a real worker needs Redis")
def test_a_two_process_worker_serves_the_actor_runs_of_both(tmp_path):
    multiproc = tmp_path / "prometheus"
    port = free_port()
    broker = RedisBroker(url=settings.REDIS_URL)
    broker.flush_all()
    broker.declare_queue("default")
    env = {
        "METRICS_TOKEN": "scrape-token",
        "PROMETHEUS_MULTIPROC_DIR": str(multiproc),
        "WORKER_METRICS_PORT": str(port),
    }
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        with running_worker("--processes", "2", **env) as worker:
            sent = 0
            # Batches until both processes have run some (each writes files named by its pid).
            while len(actor_runs_by_process(multiproc, "scheduler_heartbeat")) < 2:
                assert sent < 2000, f"one process ran everything:\n{worker.output()[-3000:]}"
                for _ in range(50):
                    broker.enqueue(
                        dramatiq.Message(
                            queue_name="default", actor_name="scheduler_heartbeat", args=(), kwargs={}, options={}
                        )
                    )
                sent += 50
                wait_until(
                    lambda sent=sent: sum(actor_runs_by_process(multiproc, "scheduler_heartbeat").values()) == sent,
                    worker,
                )

            wait_until(lambda: scrape_or_none(url, "scrape-token") is not None, worker)
            assert requests.get(url, timeout=10).status_code == 401
            assert requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=10).status_code == 401
            scraped = requests.get(url, headers={"Authorization": "Bearer scrape-token"}, timeout=10)
            assert scraped.status_code == 200
    finally:
        broker.flush_all()
        broker.close()
    samples = metric_samples(scraped.text)
    assert total(samples, "fmcore_actor_runs_total", actor="scheduler_heartbeat", outcome="succeeded") == sent
    assert total(samples, "fmcore_actor_duration_seconds_count", actor="scheduler_heartbeat") == sent


@real_processes
@pytest.mark.redis
@pytest.mark.skipif(not settings.REDIS_URL, reason="a real worker needs Redis")
def test_webhook_delivery_outcomes_are_counted_on_the_workers_metrics(tmp_path, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    port = free_port()
    broker = RedisBroker(url=settings.REDIS_URL)
    broker.flush_all()
    broker.declare_queue(WEBHOOK_QUEUE)
    env = {
        "METRICS_TOKEN": "scrape-token",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "WORKER_METRICS_PORT": str(port),
        "WEBHOOK_ALLOW_PRIVATE": "1",
        "WEBHOOK_MAX_RETRIES": "0",  # the unreachable target fails at its first attempt
    }
    worker_url = f"http://127.0.0.1:{port}"
    try:
        with http_receiver() as receiver, running_worker(**env) as worker:
            app, _ = partner_services.app_create(
                principal=Principal.system(), name="Fulfilment", scopes=[AppScope.ORDERS_READ]
            )
            for target in (f"{receiver.url}/hooks", f"http://127.0.0.1:{free_port()}/hooks"):  # nothing on the 2nd
                partner_services.webhook_create(
                    principal=Principal.system(),
                    app_id=app.pk,
                    target_url=target,
                    events=[WebhookEventType.ORDER_STATUS_CHANGED],
                )
            deliveries = webhook_event_emit(event=WebhookEventType.ORDER_STATUS_CHANGED, payload={"toStatus": "PAID"})
            assert len(deliveries) == 2
            for delivery in deliveries:
                broker.enqueue(
                    dramatiq.Message(
                        queue_name=WEBHOOK_QUEUE,
                        actor_name="deliver_webhook",
                        args=(delivery.pk,),
                        kwargs={},
                        options={},
                    )
                )
            receiver.wait_for(lambda received: len(received) == 1)
            wait_until(lambda: scrape_or_none(f"{worker_url}/metrics", "scrape-token") is not None, worker)

            def outcomes() -> dict[str, float]:
                samples = scraped_samples(worker_url)
                return {
                    o: total(samples, "fmcore_webhook_deliveries_total", outcome=o) for o in ("succeeded", "failed")
                }

            wait_until(lambda: outcomes() == {"succeeded": 1, "failed": 1}, worker)
            assert {d.status for d in WebhookDelivery.objects.all()} == {
                WebhookDeliveryStatus.SUCCEEDED,
                WebhookDeliveryStatus.FAILED,
            }
    finally:
        broker.flush_all()
        broker.close()


def scrape_or_none(url: str, token: str) -> str | None:
    try:
        response = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5)
    except requests.ConnectionError:
        return None
    return response.text if response.status_code == 200 else None


def wait_until(condition, process, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.popen.poll() is None, f"exited with {process.popen.returncode}:\n{process.output()[-5000:]}"
        assert time.monotonic() < deadline, f"not within {timeout} s:\n{process.output()[-5000:]}"
        time.sleep(0.2)


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

            def graphql_request_traced(received) -> bool:
                # The probe's request is traced too, and a request's own Django span ends
                # after its answer: it may come in a later export than its SQL spans.
                scopes = span_scopes(received)
                django_spans = scopes.get("opentelemetry.instrumentation.django", [])
                return wanted <= set(scopes) and any("graphql" in name.lower() for name in django_spans)

            try:
                collector.wait_for(graphql_request_traced)
            except AssertionError as error:
                raise AssertionError(f"{span_scopes(collector.requests)}\n{server.output()[-3000:]}") from error
    assert {r.path for r in collector.requests} == {"/v1/traces"}


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
