"""The compose proxy's Caddyfile in front of two real uvicorn replicas: HTTP and
GraphQL websockets pass through, requests are balanced over both, and a client's
own X-Forwarded-For is replaced by the address the proxy saw.

Here the replicas are two loopback ports, so the config's DNS upstream
(`dynamic a web 8000`, which follows `--scale`) is swapped for them; the rest
of the file is used as written."""

import json
import re
import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import requests
from websockets.sync.client import connect

from tests.processes import RunningProcess, free_port, running, running_server, wait_until_serving
from tests.system.deploy.definitions import CADDYFILE

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.usefixtures("real_services"),
    pytest.mark.skipif(shutil.which("caddy") is None, reason="caddy is not installed (apt-get install caddy)"),
]


def caddyfile_for(upstreams: list[str]) -> str:
    config = CADDYFILE.read_text()
    config, replaced = re.subn(r"dynamic a [^\n]*\{[^}]*\}", "to " + " ".join(upstreams), config)
    assert replaced == 1, "the Caddyfile's upstream block changed: update this test"
    return config


@contextmanager
def proxy_in_front_of(replicas: list[RunningProcess], workdir: Path) -> Iterator[RunningProcess]:
    config = workdir / "Caddyfile"
    config.write_text(caddyfile_for([replica.url.removeprefix("http://") for replica in replicas]))
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(workdir), "XDG_DATA_HOME": str(workdir), "PROXY_PORT": str(port)}
    with running(["caddy", "run", "--config", str(config), "--adapter", "caddyfile"], env) as proxy:
        proxy.url = f"http://127.0.0.1:{port}"
        wait_until_serving(proxy, path="/graphql/", timeout=30)
        yield proxy


def graphql_posts(replica: RunningProcess) -> int:
    return sum(line["method"] == "POST" and line["status"] == 200 for line in replica.access_lines())


def test_http_and_websockets_pass_through_balanced_over_the_replicas(tmp_path):
    with ExitStack() as stack:
        replicas = [stack.enter_context(running_server("--ws", "websockets")) for _ in range(2)]
        proxy = stack.enter_context(proxy_in_front_of(replicas, tmp_path))

        for _ in range(6):
            response = requests.post(
                f"{proxy.url}/graphql/",
                json={"query": "{ __typename }"},
                headers={"X-Forwarded-For": "198.51.100.7"},
                timeout=30,
            )
            assert response.json() == {"data": {"__typename": "Query"}}
        assert all(graphql_posts(replica) >= 2 for replica in replicas), [r.output() for r in replicas]
        # Caddy replaced the client's header with the address it saw.
        assert not any("198.51.100.7" in replica.output() for replica in replicas)

        ws_url = proxy.url.replace("http://", "ws://") + "/graphql/"
        with connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:
            ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(ws.recv(timeout=30))["type"] == "connection_ack"
