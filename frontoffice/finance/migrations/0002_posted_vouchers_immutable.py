"""Database triggers that refuse any change to posted vouchers and their lines.

The application never updates or deletes a posted voucher (corrections are reversals); these
triggers make the database itself refuse it, so a stray SQL statement cannot rewrite history.
PostgreSQL and SQLite each get their own dialect; both raise an error naming the rule.
"""

from django.db import migrations

PG_FORWARD = [
    """
    CREATE OR REPLACE FUNCTION finance_refuse_posted_entry_change() RETURNS trigger AS $$
    BEGIN
        IF OLD.status = 'posted' THEN
            RAISE EXCEPTION 'posted voucher % is immutable: post a reversal instead', OLD.id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER finance_journalentry_immutable
    BEFORE UPDATE OR DELETE ON finance_journalentry
    FOR EACH ROW EXECUTE FUNCTION finance_refuse_posted_entry_change()
    """,
    """
    CREATE OR REPLACE FUNCTION finance_refuse_posted_line_change() RETURNS trigger AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM finance_journalentry e WHERE e.id = OLD.entry_id AND e.status = 'posted') THEN
            RAISE EXCEPTION 'lines of posted voucher % are immutable: post a reversal instead', OLD.entry_id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER finance_journalline_immutable
    BEFORE UPDATE OR DELETE ON finance_journalline
    FOR EACH ROW EXECUTE FUNCTION finance_refuse_posted_line_change()
    """,
]
PG_BACKWARD = [
    "DROP TRIGGER IF EXISTS finance_journalline_immutable ON finance_journalline",
    "DROP FUNCTION IF EXISTS finance_refuse_posted_line_change()",
    "DROP TRIGGER IF EXISTS finance_journalentry_immutable ON finance_journalentry",
    "DROP FUNCTION IF EXISTS finance_refuse_posted_entry_change()",
]
SQLITE_FORWARD = [
    """
    CREATE TRIGGER finance_journalentry_no_update BEFORE UPDATE ON finance_journalentry
    FOR EACH ROW WHEN OLD.status = 'posted'
    BEGIN SELECT RAISE(ABORT, 'posted voucher is immutable: post a reversal instead'); END
    """,
    """
    CREATE TRIGGER finance_journalentry_no_delete BEFORE DELETE ON finance_journalentry
    FOR EACH ROW WHEN OLD.status = 'posted'
    BEGIN SELECT RAISE(ABORT, 'posted voucher is immutable: post a reversal instead'); END
    """,
    """
    CREATE TRIGGER finance_journalline_no_update BEFORE UPDATE ON finance_journalline
    FOR EACH ROW WHEN (SELECT status FROM finance_journalentry WHERE id = OLD.entry_id) = 'posted'
    BEGIN SELECT RAISE(ABORT, 'lines of a posted voucher are immutable: post a reversal instead'); END
    """,
    """
    CREATE TRIGGER finance_journalline_no_delete BEFORE DELETE ON finance_journalline
    FOR EACH ROW WHEN (SELECT status FROM finance_journalentry WHERE id = OLD.entry_id) = 'posted'
    BEGIN SELECT RAISE(ABORT, 'lines of a posted voucher are immutable: post a reversal instead'); END
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS finance_journalline_no_delete",
    "DROP TRIGGER IF EXISTS finance_journalline_no_update",
    "DROP TRIGGER IF EXISTS finance_journalentry_no_delete",
    "DROP TRIGGER IF EXISTS finance_journalentry_no_update",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("finance", "0001_initial")]
    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        )
    ]
