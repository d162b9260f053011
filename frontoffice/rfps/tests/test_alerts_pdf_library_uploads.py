"""Deadline alerts (once per threshold), the response PDF, library search, document uploads."""

from __future__ import annotations

import datetime
import io
import zoneinfo

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from pypdf import PdfReader

from frontoffice.rfps import selectors, services
from frontoffice.rfps.alerts import send_deadline_alerts
from frontoffice.rfps.models import RfpAlert, RfpDocument
from frontoffice.rfps.pdf import rfp_pdf
from frontoffice.rfps.tests.conftest import make_rfp

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Europe/Stockholm")
START = datetime.datetime(2026, 12, 1, 8, 0, tzinfo=TZ)


def _send(capture):
    with capture(execute=True):
        return send_deadline_alerts()


def test_alerts_once_per_threshold_and_supervisor_when_overdue(world, django_capture_on_commit_callbacks):
    with time_machine.travel(START, tick=False):
        rfp = make_rfp(
            world.user("rep_north"),
            world.north_party,
            title="Alert me",
            due_at=START + datetime.timedelta(days=10),
        )
        world.rfp.delete()  # keep only the RFP under test in the North owner's inbox
        world.south_rfp.delete()
        mail.outbox.clear()
        assert _send(django_capture_on_commit_callbacks) == 0
    with time_machine.travel(START + datetime.timedelta(days=3), tick=False):  # 7 days before
        assert _send(django_capture_on_commit_callbacks) == 1
        assert _send(django_capture_on_commit_callbacks) == 0  # idempotent
        with django_capture_on_commit_callbacks(execute=True):
            call_command("rfps_deadline_alerts", stdout=io.StringIO())
    assert len(mail.outbox) == 1 and "Alert me" in mail.outbox[0].subject
    assert mail.outbox[0].to == ["rep_north@example.com"]
    with time_machine.travel(START + datetime.timedelta(days=8), tick=False):  # 2 days before
        assert _send(django_capture_on_commit_callbacks) == 1
    with time_machine.travel(START + datetime.timedelta(days=10, hours=-4), tick=False):  # due day
        assert _send(django_capture_on_commit_callbacks) == 1
        assert _send(django_capture_on_commit_callbacks) == 0
    with time_machine.travel(START + datetime.timedelta(days=11), tick=False):  # overdue
        assert _send(django_capture_on_commit_callbacks) == 1
        assert _send(django_capture_on_commit_callbacks) == 0
    assert len(mail.outbox) == 4
    assert sorted(mail.outbox[-1].to) == ["rep_north@example.com", "rsm_north@example.com"]
    assert sorted(RfpAlert.objects.filter(rfp=rfp).values_list("days_before", flat=True)) == [-1, 0, 2, 7]


def test_late_registration_gets_one_alert_and_closed_rfps_none(world, django_capture_on_commit_callbacks):
    with time_machine.travel(START, tick=False):
        world.rfp.delete()
        world.south_rfp.delete()
        late = make_rfp(
            world.user("rep_north"),
            world.north_party,
            title="Late",
            due_at=START + datetime.timedelta(days=1),
        )
        done = make_rfp(
            world.user("rep_north"),
            world.north_party,
            title="Done",
            due_at=START + datetime.timedelta(days=1),
        )
        services.rfp_set_outcome(actor=world.user("rep_north"), rfp=done, outcome="withdrawn", reason="No")
        mail.outbox.clear()
        assert _send(django_capture_on_commit_callbacks) == 1
        assert _send(django_capture_on_commit_callbacks) == 0
    assert len(mail.outbox) == 1 and "Late" in mail.outbox[0].subject
    assert set(RfpAlert.objects.filter(rfp=late).values_list("days_before", flat=True)) == {2, 7}


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_pdf_has_cover_and_every_answer_in_both_languages(world):
    rep = world.user("rep_north")
    req = services.requirement_add(
        actor=rep, rfp=world.rfp, number="2.1", text="Describe your ISO certification"
    )
    services.requirement_answer(actor=rep, requirement=req, library_entry=world.entry)
    na = services.requirement_add(
        actor=rep, rfp=world.rfp, number="2.2", text="Office in Kiruna", mandatory=False
    )
    services.requirement_answer(actor=rep, requirement=na, not_applicable=True)
    requirements = list(selectors.rfp_requirements(rfp=world.rfp))
    english = _pdf_text(rfp_pdf(world.rfp, requirements, language="en"))
    for expected in [
        "Dental chairs for twelve clinics",
        "Region Norrbotten",
        "RN-2026-041",
        "Tandhälsan Norden AB",
        "2.1. Describe your ISO certification",
        "ISO 9001:2015",
        "Not applicable",
        "Issuer",
        "Due",
    ]:
        assert expected in english
    swedish = _pdf_text(rfp_pdf(world.rfp, requirements, language="sv"))
    assert "ISO 9001:2015" in swedish and "Sida 1" in swedish and "Page 1" in english


def test_pdf_download_scope(world, client_for):
    response = client_for("rep_north").get(reverse("rfps:rfp-pdf", args=[world.rfp.pk]), {"language": "en"})
    assert response["Content-Type"] == "application/pdf"
    assert "RN-2026-041" in _pdf_text(response.content)
    assert client_for("rep_south").get(reverse("rfps:rfp-pdf", args=[world.rfp.pk])).status_code == 404


def _library(world):
    rsm = world.user("rsm_north")
    services.library_entry_create(
        actor=rsm,
        legal_entity=world.org.company,
        question="Delivery times",
        answer="Chairs ship within four weeks.",
        tags="logistics",
        language="en",
        approve=True,
    )
    services.library_entry_create(
        actor=rsm,
        legal_entity=world.org.company,
        question="Leveranstid",
        answer="Stolarna levereras inom fyra veckor.",
        tags="logistik",
        language="sv",
    )


def test_library_search_words_tags_language_and_approval(world):
    _library(world)
    user = world.user("rep_north")
    titles = lambda **kw: [e.question for e in selectors.library_search(user=user, **kw)]  # noqa: E731
    assert titles(q="chairs four") == ["Delivery times"]
    assert titles(q="ISO") == ["Describe your ISO 9001 certification"]
    assert titles(q="logistics") == ["Delivery times"]
    assert titles(q="veckor") == ["Leveranstid"]
    assert titles(q="veckor", approved_only=True) == []
    assert titles(q="chairs", language="sv") == []
    assert titles(q="nothing-like-this") == []
    assert titles(q="deliv") == ["Delivery times"]  # prefix
    assert selectors.library_search(user=world.user("other_clerk"), q="chairs").count() == 0


@pytest.mark.postgres
def test_library_full_text_search_on_postgresql_uses_index(world):
    assert connection.vendor == "postgresql"
    _library(world)
    user = world.user("rep_north")
    qs = selectors.library_search(user=user, q="certification 9001")
    assert "to_tsvector" in str(qs.query) and [e.question for e in qs] == [
        "Describe your ISO 9001 certification"
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'rfps_library_fts_idx'")
        (indexdef,) = cursor.fetchone()
    assert "gin" in indexdef.lower() and "to_tsvector" in indexdef
    # The selector's expression matches the index (the planner may still prefer the legal
    # entity index on a tiny table, so the scope filter is left out here).
    from django.contrib.postgres.search import SearchQuery, SearchVector

    from frontoffice.rfps.models import AnswerLibraryEntry

    bare = AnswerLibraryEntry.objects.alias(
        fts=SearchVector("question", "answer", "tags", config="simple")
    ).filter(fts=SearchQuery("certification", config="simple"))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = bare.values("id").query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "rfps_library_fts_idx" in plan, plan


PDF_BYTES = b"%PDF-1.4\n%test\n"


def test_upload_and_download_in_scope(world, client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_for("rep_north")
    upload = SimpleUploadedFile("../../etc/Anbud förfrågan.PDF", PDF_BYTES, content_type="application/pdf")
    client.post(reverse("rfps:document-upload", args=[world.rfp.pk]), {"file": upload})
    document = RfpDocument.objects.get(rfp=world.rfp)
    assert document.original_name == "Anbud förfrågan.PDF"
    assert document.file.name.startswith(f"rfps/{world.rfp.pk}/") and ".." not in document.file.name
    assert document.file.name.endswith("-anbud-forfragan.pdf")
    response = client_for("rep_north").get(reverse("rfps:document-download", args=[document.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF_BYTES
    assert (
        client_for("rep_south").get(reverse("rfps:document-download", args=[document.pk])).status_code == 404
    )
    assert client_for("clerk").get(reverse("rfps:document-download", args=[document.pk])).status_code == 403


def test_oversized_and_bad_type_rejected(world, client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.RFPS_MAX_UPLOAD_BYTES = 1024
    rep = world.user("rep_north")
    with pytest.raises(Exception) as exc:
        services.document_upload(
            actor=rep, rfp=world.rfp, uploaded_file=SimpleUploadedFile("big.pdf", PDF_BYTES + b"x" * 2000)
        )
    assert exc.value.error_dict["file"][0].code == "file_size"
    with pytest.raises(Exception) as exc:
        services.document_upload(actor=rep, rfp=world.rfp, uploaded_file=SimpleUploadedFile("run.exe", b"MZ"))
    assert exc.value.error_dict["file"][0].code == "file_type"
    with pytest.raises(Exception) as exc:  # a renamed executable is not a PDF
        services.document_upload(
            actor=rep, rfp=world.rfp, uploaded_file=SimpleUploadedFile("fake.pdf", b"MZ\x90\x00")
        )
    assert exc.value.error_dict["file"][0].code == "file_type"
    response = client_for("rep_north").post(
        reverse("rfps:document-upload", args=[world.rfp.pk]),
        {"file": SimpleUploadedFile("x.exe", b"MZ")},
        follow=True,
    )
    assert b"cannot be uploaded" in response.content
    assert not RfpDocument.objects.exists()
    assert not any(tmp_path.rglob("*.*"))
