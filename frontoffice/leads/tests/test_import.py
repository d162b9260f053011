"""CSV/XLSX import: preview, whole-file validation, all-or-nothing commit, bad files refused."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from frontoffice.leads.models import Lead, LeadImport
from frontoffice.leads.services.imports import (
    lead_import_preview,
    lead_import_start,
    lead_import_upload,
)
from frontoffice.parties.models import Party

pytestmark = pytest.mark.django_db

HEADER = "Namn;Företag;E-post;Telefon;Postnummer;Bransch;Region\n"
GOOD = [
    "Anna A;Umeå Tand AB;anna@a.example;070-111 11 11;903 26;Dental;",
    "Bo B;Luleå Tand AB;bo@b.example;;972 31;Dental;",
    "Cia C;Malmö Tand AB;cia@c.example;;211 22;Dental;",
    "Dan D;Lund Tand AB;dan@d.example;;;Dental;north",
]
MAPPING = {
    "contact_name": "Namn",
    "company": "Företag",
    "email": "E-post",
    "phone": "Telefon",
    "postal_code": "Postnummer",
    "industry": "Bransch",
    "region": "Region",
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(org, text: str | bytes, name: str = "leads.csv", actor="rsm_north"):
    data = text.encode() if isinstance(text, str) else text
    return lead_import_upload(
        actor=org.user(actor), file=SimpleUploadedFile(name, data), legal_entity=org.company
    )


def test_good_file_imports_every_row_routed(org, leads, django_capture_on_commit_callbacks):
    imp = upload(org, HEADER + "\n".join(GOOD) + "\n")
    assert imp.total_rows == 4 and imp.headers[0] == "Namn"
    assert imp.mapping["email"] == "E-post"  # suggested from the header names
    preview = lead_import_preview(actor=org.user("rsm_north"), lead_import=imp, mapping=MAPPING)
    assert [p.line for p in preview] == [2, 3, 4, 5] and all(not p.errors for p in preview)
    with django_capture_on_commit_callbacks(execute=True):
        imp = lead_import_start(actor=org.user("rsm_north"), lead_import=imp, mapping=MAPPING)
    imp.refresh_from_db()
    assert imp.status == LeadImport.Status.DONE and imp.created_count == 4
    leads_by_email = {lead.email: lead for lead in Lead.objects.all()}
    assert leads_by_email["anna@a.example"].region == org.north
    assert leads_by_email["cia@c.example"].region == org.south
    assert leads_by_email["cia@c.example"].owner == org.people["rep_south"]
    assert leads_by_email["dan@d.example"].region == org.north  # explicit region column
    north_owners = {leads_by_email[e].owner_id for e in ("anna@a.example", "bo@b.example", "dan@d.example")}
    assert north_owners == {org.people["rep_north"].pk, leads.rep_north2.pk}
    assert Party.objects.filter(source="import").count() == 4
    assert all(lead.events.count() == 2 for lead in Lead.objects.all())


def test_malformed_rows_change_nothing_and_each_is_reported(org, leads, django_capture_on_commit_callbacks):
    bad = [
        GOOD[0],
        "Eva E;E AB;not-an-email;;903 26;Dental;",
        GOOD[1],
        "Fia F;F AB;fia@f.example;12ab;903 26;Dental;",
        "Gun G;G AB;gun@g.example;;903 26;Dental;atlantis",
    ]
    imp = upload(org, HEADER + "\n".join(bad) + "\n")
    preview = lead_import_preview(actor=org.user("rsm_north"), lead_import=imp, mapping=MAPPING)
    assert {p.line: sorted(p.errors) for p in preview if p.errors} == {
        3: ["email"],
        5: ["phone"],
        6: ["region"],
    }
    with django_capture_on_commit_callbacks(execute=True):
        imp = lead_import_start(actor=org.user("rsm_north"), lead_import=imp, mapping=MAPPING)
    imp.refresh_from_db()
    assert imp.status == LeadImport.Status.INVALID
    assert [(e["line"], e["field"]) for e in imp.errors] == [(3, "email"), (5, "phone"), (6, "region")]
    assert "atlantis" in imp.errors[2]["message"]
    assert Lead.objects.count() == 0 and Party.objects.count() == 0


def test_non_utf8_and_oversized_files_are_refused(org, leads, settings):
    latin1 = (HEADER + "Åsa Ö;Ö AB;asa@o.example;;903 26;Dental;\n").encode("latin-1")
    with pytest.raises(ValidationError) as exc:
        upload(org, latin1)
    assert exc.value.error_dict["file"][0].code == "encoding"
    assert "line 1" in exc.value.messages[0]
    settings.LEADS_IMPORT_MAX_BYTES = 100
    with pytest.raises(ValidationError) as exc:
        upload(org, HEADER + "\n".join(GOOD))
    assert exc.value.error_dict["file"][0].code == "too_large"
    with pytest.raises(ValidationError):
        upload(org, b"x", name="leads.pdf")
    assert LeadImport.objects.count() == 0


def test_xlsx_import(org, leads, django_capture_on_commit_callbacks):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(";"))
    for row in GOOD[:2]:
        sheet.append(row.split(";"))
    buffer = io.BytesIO()
    book.save(buffer)
    imp = upload(org, buffer.getvalue(), name="leads.xlsx")
    with django_capture_on_commit_callbacks(execute=True):
        lead_import_start(actor=org.user("rsm_north"), lead_import=imp, mapping=MAPPING)
    assert Lead.objects.count() == 2


def test_import_needs_the_permission(org, leads):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        upload(org, HEADER + GOOD[0], actor="rep_north")


def test_utf16_and_nul_bytes_are_refused_as_not_utf8(org, leads):
    # UTF-16 without a byte-order mark is valid UTF-8 byte by byte (ASCII + NUL): the NUL check
    # catches it; with a byte-order mark it fails the UTF-8 check itself.
    for data in (
        (HEADER + GOOD[0] + "\n").encode("utf-16-le"),
        (HEADER + GOOD[0] + "\n").encode("utf-16"),
        (HEADER + "Anna\x00A;Umeå Tand AB;anna@a.example;;903 26;Dental;\n").encode(),
    ):
        with pytest.raises(ValidationError) as exc:
            upload(org, data)
        assert exc.value.error_dict["file"][0].code == "encoding"
    with pytest.raises(ValidationError) as exc:
        upload(org, (HEADER + GOOD[0] + "\nBo\x00;B AB;bo@b.example;;;;\n").encode())
    assert "line 3" in exc.value.messages[0]
    assert LeadImport.objects.count() == 0 and Lead.objects.count() == 0


def test_a_cell_over_the_csv_limit_is_a_clear_error_and_the_file_is_not_kept(org, leads, tmp_path):
    # An unclosed quotation mark swallows the rest of the file into one cell.
    text = HEADER + GOOD[0] + "\n" + '"Eva E;E AB;eva@e.example;;903 26;Dental;\n' + ("x" * 140_000) + "\n"
    with pytest.raises(ValidationError) as exc:
        upload(org, text)
    error = exc.value.error_dict["file"][0]
    assert error.code == "malformed"
    assert exc.value.messages[0].startswith("Line 3 cannot be read")
    assert "131072 characters" in exc.value.messages[0]
    assert LeadImport.objects.count() == 0 and Lead.objects.count() == 0
    stored = tmp_path / "lead_imports"
    assert not stored.exists() or not any(stored.iterdir())
