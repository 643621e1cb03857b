"""Product search: pg_trgm, a weighted search document per product kept current
by triggers, and the GIN indexes the search reads (commerce.catalog.search).

The document (name A, category name B, description C) is written by a trigger
on every insert and on every update touching name, description, category or
the document itself (so no client can store a wrong one), and a category
rename recomputes its products'. The triggers, so every writer (services,
importer, demo data, bulk SQL) keeps it current without knowing about it.

PostgreSQL only: on SQLite the extension and triggers are skipped and the
column stays empty (search falls back to `icontains`). The backfill is one
UPDATE of every product. The GIN indexes follow in their own concurrent
migrations (docs/operations.md, "Index migrations").
"""

import django.contrib.postgres.search
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

# The trigram index's candidate cut-off for `%>` (word_similarity); must not be
# above commerce.catalog.search.TEXT_SIMILARITY, which the query rechecks.
WORD_SIMILARITY_THRESHOLD = "0.3"

FORWARDS = [
    """
    CREATE OR REPLACE FUNCTION commerce_product_search_document(p_name text, p_description text, p_category_id bigint)
    RETURNS tsvector LANGUAGE sql STABLE AS $$
        SELECT setweight(to_tsvector('english', coalesce(p_name, '')), 'A')
            || setweight(to_tsvector('english', coalesce(
                   (SELECT c.name FROM commerce_category c WHERE c.id = p_category_id), '')), 'B')
            || setweight(to_tsvector('english', coalesce(p_description, '')), 'C')
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION commerce_product_search_vector_set() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_vector := commerce_product_search_document(NEW.name, NEW.description, NEW.category_id);
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER commerce_product_search_vector
    BEFORE INSERT OR UPDATE OF name, description, category_id, search_vector ON commerce_product
    FOR EACH ROW EXECUTE FUNCTION commerce_product_search_vector_set()
    """,
    # Touching the column fires the product trigger above, which recomputes it.
    """
    CREATE OR REPLACE FUNCTION commerce_category_search_vector_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE commerce_product SET search_vector = NULL WHERE category_id = NEW.id;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER commerce_category_search_vector
    AFTER UPDATE OF name ON commerce_category
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION commerce_category_search_vector_refresh()
    """,
    "UPDATE commerce_product SET search_vector = NULL",
    # For new sessions of this database, and for this one (the test run migrates on its connection).
    f"""
    DO $$ BEGIN
        EXECUTE format('ALTER DATABASE %I SET pg_trgm.word_similarity_threshold = {WORD_SIMILARITY_THRESHOLD}',
                       current_database());
    END $$
    """,
    f"SET pg_trgm.word_similarity_threshold = {WORD_SIMILARITY_THRESHOLD}",
]

BACKWARDS = [
    "DROP TRIGGER IF EXISTS commerce_category_search_vector ON commerce_category",
    "DROP FUNCTION IF EXISTS commerce_category_search_vector_refresh()",
    "DROP TRIGGER IF EXISTS commerce_product_search_vector ON commerce_product",
    "DROP FUNCTION IF EXISTS commerce_product_search_vector_set()",
    "DROP FUNCTION IF EXISTS commerce_product_search_document(text, text, bigint)",
    """
    DO $$ BEGIN
        EXECUTE format('ALTER DATABASE %I RESET pg_trgm.word_similarity_threshold', current_database());
    END $$
    """,
]


def _on_postgresql(statements: list[str]):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return run


class PostgresTrigramExtension(TrigramExtension):
    """Django skips creating it on other databases but, unwinding, asks SQLite for pg_extension."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0014_default_variants"),
    ]

    operations = [
        PostgresTrigramExtension(),
        migrations.AddField(
            model_name="product",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(_on_postgresql(FORWARDS), _on_postgresql(BACKWARDS)),
    ]
