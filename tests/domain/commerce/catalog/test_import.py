"""`import_products` from a file and from a local HTTP server: counts, bad rows, re-runs."""

import json
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from commerce.models import Category, Product, StockMovement
from tests.factories import make_category, make_product

SAMPLE = Path(settings.BASE_DIR) / "docs" / "sample_products.json"
PRODUCT = "query ($slug: String!) { product(slug: $slug) { name price stockQuantity images { url } } }"


def run(source: str, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_products", source, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path: Path, data) -> str:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(data))
    return str(path)


@pytest.fixture
def http_server():
    """Serve JSON bodies from 127.0.0.1 in a thread; yields a function that registers a body and returns its URL."""
    bodies: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/slow.json":
                time.sleep(1.5)
            body = bodies.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            if body is not None:
                self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def serve(path: str, data) -> str:
        bodies[path] = json.dumps(data).encode() if not isinstance(data, bytes) else data
        return f"http://127.0.0.1:{server.server_port}{path}"

    yield serve
    server.shutdown()
    server.server_close()


@pytest.mark.django_db
class TestImportFile:
    def test_sample_file_then_rerun_is_idempotent(self):
        out, err = run(str(SAMPLE))
        assert "categories: 2 created, 0 updated, 0 unchanged, 0 skipped" in out
        assert "products: 3 created, 0 updated, 0 unchanged, 0 skipped" in out
        assert err == ""
        knife = Product.objects.get(slug="chefs-knife")
        assert (knife.price, knife.stock_quantity, knife.category.name) == (Decimal("59.00"), 8, "Kitchen")
        assert Product.objects.get(slug="camping-lantern").images.count() == 2
        before = list(Product.objects.values_list("slug", "price", "stock_quantity", "updated_at").order_by("slug"))

        out, _ = run(str(SAMPLE))
        assert "categories: 0 created, 0 updated, 2 unchanged, 0 skipped" in out
        assert "products: 0 created, 0 updated, 3 unchanged, 0 skipped" in out
        assert (
            list(Product.objects.values_list("slug", "price", "stock_quantity", "updated_at").order_by("slug"))
            == before
        )
        assert StockMovement.objects.count() == 2  # the two products with stock, once

    def test_updates_existing_products_by_slug(self, tmp_path, gql, django_capture_on_commit_callbacks):
        product = make_product("Kettle", slug="kettle", price="20.00", stock=1, category=make_category("Kitchen"))
        assert gql(PRODUCT, {"slug": "kettle"})["product"]["price"] == "20.00"  # now cached
        rows = [
            {
                "name": "Kettle",
                "price": "22.00",
                "stock_quantity": 4,
                "category": "kitchen",
                "images": [{"url": "https://picsum.photos/1"}],
            }
        ]
        with django_capture_on_commit_callbacks(execute=True):
            out, _ = run(write(tmp_path, rows))
        assert "products: 0 created, 1 updated, 0 unchanged, 0 skipped" in out
        product.refresh_from_db()
        assert (product.price, product.stock_quantity) == (Decimal("22.00"), 4)
        assert StockMovement.objects.get(product=product).delta == 3
        assert Category.objects.count() == 1  # "kitchen" is the existing "Kitchen"
        read = gql(PRODUCT, {"slug": "kettle"})["product"]
        assert read == {
            "name": "Kettle",
            "price": "22.00",
            "stockQuantity": 4,
            "images": [{"url": "https://picsum.photos/1"}],
        }

    def test_bad_rows_are_reported_with_their_index_and_skipped(self, tmp_path):
        rows = {
            "products": [
                {"name": "Good", "price": "1.00", "category": "A"},
                {"name": "Negative", "price": "-1", "category": "A"},
                {"name": "", "price": "1", "category": "A"},
                {"name": "No category", "price": "1"},
                {"name": "Bad stock", "price": "1", "stock_quantity": -2, "category": "A"},
                "not an object",
                {"name": "Good", "price": "2.00", "category": "A"},
                {"name": "Bad image", "price": "1", "category": "A", "images": [{"url": "ftp://x"}]},
                {"name": "Good two", "price": "1e400", "category": "B"},
            ]
        }
        out, err = run(write(tmp_path, rows))
        assert "products: 1 created, 0 updated, 0 unchanged, 8 skipped" in out
        for index in range(1, 9):
            assert f"product row {index}" in err
        assert "product row 0" not in err
        assert list(Product.objects.values_list("name", flat=True)) == ["Good"]
        assert list(Category.objects.values_list("name", flat=True)) == ["A"]

    def test_strict_imports_nothing_when_a_row_is_bad(self, tmp_path):
        rows = [{"name": "Good", "price": "1.00", "category": "A"}, {"name": "Bad", "price": "x", "category": "A"}]
        with pytest.raises(CommandError, match="nothing was imported"):
            run(write(tmp_path, rows), "--strict")
        assert not Product.objects.exists()
        assert not Category.objects.exists()

    def test_categories_list_upserts_by_name(self, tmp_path):
        make_category("Kitchen", description="old")
        data = {"categories": [{"name": "kitchen", "description": "new"}, {"name": "Garden"}, {"name": "Garden"}, {}]}
        out, err = run(write(tmp_path, data))
        assert "categories: 1 created, 1 updated, 1 unchanged, 1 skipped" in out
        assert "category row 3" in err
        assert dict(Category.objects.values_list("name", "description")) == {"Kitchen": "new", "Garden": ""}
        out, _ = run(write(tmp_path, data))
        assert "categories: 0 created, 0 updated, 3 unchanged, 1 skipped" in out

    def test_deleted_products_are_not_brought_back(self, tmp_path):
        from django.utils import timezone

        make_product("Old", slug="old", deleted_at=timezone.now(), active=False)
        _, err = run(write(tmp_path, [{"name": "Old", "price": "1", "category": "A"}]))
        assert "product row 0" in err
        assert Product.objects.get(slug="old").deleted_at is not None

    @pytest.mark.parametrize("content", ["{not json", json.dumps({"products": "nope"}), json.dumps(42)])
    def test_unreadable_source_fails_and_changes_nothing(self, tmp_path, content):
        path = tmp_path / "bad.json"
        path.write_text(content)
        with pytest.raises(CommandError):
            run(str(path))
        assert not Product.objects.exists()

    def test_missing_file_fails(self, tmp_path):
        with pytest.raises(CommandError, match="could not read"):
            run(str(tmp_path / "missing.json"))


@pytest.mark.django_db
class TestImportHttp:
    def test_imports_from_a_url_and_reruns(self, http_server):
        url = http_server("/catalog.json", json.loads(SAMPLE.read_text()))
        out, _ = run(url, "--timeout", "5")
        assert "products: 3 created" in out
        out, _ = run(url)
        assert "products: 0 created, 0 updated, 3 unchanged, 0 skipped" in out

    def test_http_error_fails_and_changes_nothing(self, http_server):
        url = http_server("/other.json", b"[]").replace("/other.json", "/missing.json")
        with pytest.raises(CommandError, match="could not download"):
            run(url)
        assert not Product.objects.exists()

    def test_a_slow_server_times_out(self, http_server):
        url = http_server("/slow.json", [])
        started = time.monotonic()
        with pytest.raises(CommandError, match="could not download"):
            run(url, "--timeout", "0.3")
        assert time.monotonic() - started < 1.4

    def test_bad_rows_over_http(self, http_server):
        url = http_server("/bad.json", [{"name": "x", "price": "-3", "category": "A"}])
        out, err = run(url)
        assert "products: 0 created, 0 updated, 0 unchanged, 1 skipped" in out
        assert "product row 0 (price)" in err


@pytest.mark.django_db
def test_load_demo_data_loads_the_catalog_once():
    out = StringIO()
    call_command("load_demo_data", stdout=out)
    assert "loaded the demo catalog: 4 categories, 12 products" in out.getvalue()
    assert Product.objects.filter(images__isnull=False).distinct().count() == 12
    Product.objects.filter(slug="e-reader").update(price=Decimal("1.00"))
    out = StringIO()
    call_command("load_demo_data", stdout=out)
    assert "loaded the demo catalog" not in out.getvalue()
    assert Product.objects.count() == 12
    assert Product.objects.get(slug="e-reader").price == Decimal("1.00")
