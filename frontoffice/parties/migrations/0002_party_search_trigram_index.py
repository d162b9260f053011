"""Trigram index for customer search on PostgreSQL (substring LIKE on search_text).

SQLite has no trigram index; there the search scans ``search_text``, which is fine for the
embedded default's sizes. Nothing is created on SQLite, so the reverse is a no-op there too.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS party_search_trgm_idx ON parties_party USING gin (search_text gin_trgm_ops)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS party_search_trgm_idx")


class Migration(migrations.Migration):
    dependencies = [("parties", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
