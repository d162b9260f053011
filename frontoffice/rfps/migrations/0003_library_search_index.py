"""Full-text search index of the answer library (PostgreSQL only).

A GIN index on the same expression ``selectors.library_search`` filters on
(``SearchVector("question", "answer", "tags", config="simple")``), so searches use it. The
``simple`` configuration (no stemming) treats Swedish and English answers alike. SQLite has no
full-text index here; the selector falls back to matching every word with ``icontains``.
"""

from django.db import migrations

EXPRESSION = (
    "to_tsvector('simple'::regconfig, COALESCE(\"question\", '') || ' ' || "
    "COALESCE(\"answer\", '') || ' ' || COALESCE(\"tags\", ''))"
)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS rfps_library_fts_idx ON rfps_answerlibraryentry USING gin ({EXPRESSION})"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS rfps_library_fts_idx")


class Migration(migrations.Migration):
    dependencies = [("rfps", "0002_grant_rfps_permissions_to_shipped_roles")]
    operations = [migrations.RunPython(create_index, drop_index)]
