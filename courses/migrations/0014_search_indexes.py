"""The database's own search structures, which Django's models cannot declare for both databases:
on PostgreSQL the trigram extension, a GIN index over the documents' vectors and a GIN trigram
index over the terms; on SQLite an FTS5 table holding the documents' segmented columns."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

POSTGRES_FORWARD = [
    # Without the pending list (fastupdate): the catalog changes seldom, and a search must not
    # scan the rows written since the last vacuum.
    "CREATE INDEX IF NOT EXISTS course_search_vector ON courses_coursesearchdocument "
    "USING gin (vector) WITH (fastupdate = off)",
    "CREATE INDEX IF NOT EXISTS search_term_trigram ON courses_searchterm "
    "USING gin (term gin_trgm_ops) WITH (fastupdate = off)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS course_search_vector",
    "DROP INDEX IF EXISTS search_term_trigram",
]
SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS courses_search_fts USING fts5("
    "title, tags, description, lessons, tokenize = 'unicode61 remove_diacritics 2')",
]
SQLITE_BACKWARD = ["DROP TABLE IF EXISTS courses_search_fts"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("courses", "0013_search_documents")]

    operations = [
        TrigramExtension(),  # PostgreSQL only; nothing on other databases
        migrations.RunPython(
            _run({"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
