"""Background tasks: e-mail leaves only after commit; database workers never run a task twice."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import override_settings
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from frontoffice.core.models import AuditEntry
from frontoffice.core.tasks import email_enqueue
from frontoffice.core.tests.tasks_for_tests import RAN_ACTION, record_run


class Rollback(Exception):
    pass


@pytest.mark.django_db
def test_email_is_sent_only_once_the_transaction_commits(django_capture_on_commit_callbacks) -> None:
    """On the immediate backend the message goes out when the surrounding transaction commits."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            email_enqueue(subject="Welcome", body="Hello", to=["anna@example.com"])
            assert mail.outbox == []
        assert mail.outbox == []
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Welcome"
    assert message.body == "Hello"
    assert message.to == ["anna@example.com"]
    assert message.from_email == "Frontoffice <noreply@localhost>"


@pytest.mark.django_db
def test_email_is_not_sent_when_the_transaction_rolls_back(django_capture_on_commit_callbacks) -> None:
    """A rolled-back transaction discards the queued message."""
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Rollback),
        transaction.atomic(),
    ):
        email_enqueue(subject="Welcome", body="Hello", to=["anna@example.com"])
        raise Rollback
    assert callbacks == []
    assert mail.outbox == []


DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
TASK_COUNT = 40


def _work(worker_id: str, start: threading.Barrier, errors: list[BaseException]) -> None:
    """One worker process, as `frontoffice db_worker --batch` runs it, on its own connection."""
    try:
        start.wait(timeout=10)
        Worker(
            queue_names=["default"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        ).run()
    except BaseException as exc:  # reported to the test thread
        errors.append(exc)
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_database_workers_run_every_task_exactly_once() -> None:
    """Rows are claimed with SELECT ... FOR UPDATE SKIP LOCKED, so parallel workers share the queue."""
    with override_settings(TASKS=DATABASE_TASKS):
        results = [record_run.enqueue(number, pause=0.02) for number in range(TASK_COUNT)]
        assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == TASK_COUNT
        start = threading.Barrier(2)
        errors: list[BaseException] = []
        threads = [threading.Thread(target=_work, args=(f"worker-{n}", start, errors)) for n in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        assert not any(thread.is_alive() for thread in threads)

        runs = Counter(AuditEntry.objects.filter(action=RAN_ACTION).values_list("object_id", flat=True))
        assert runs == Counter({str(number): 1 for number in range(TASK_COUNT)})
        rows = list(DBTaskResult.objects.filter(id__in=[r.id for r in results]))
        assert len(rows) == TASK_COUNT
        assert {row.status for row in rows} == {TaskResultStatus.SUCCESSFUL}
        assert all(len(row.worker_ids) == 1 for row in rows)
        assert {row.worker_ids[0] for row in rows} == {"worker-1", "worker-2"}
        assert sorted(row.return_value for row in rows) == list(range(TASK_COUNT))


@pytest.mark.django_db
def test_an_attachment_travels_through_the_queue_unchanged(django_capture_on_commit_callbacks) -> None:
    """Attachments are carried base64-encoded (JSON-able task arguments) and arrive byte for byte."""
    content = bytes(range(256)) * 4
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        email_enqueue(
            subject="Invoice",
            body="Attached",
            to=["anna@example.com"],
            attachments=[("f.pdf", content, "application/pdf")],
        )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].attachments == [("f.pdf", content, "application/pdf")]
