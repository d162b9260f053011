"""Supporting documents attached to vouchers.

Invariants:
- documents are attached while a voucher is a draft or awaits approval, never after posting
  (a posted voucher is complete as it was approved);
- only PDF, PNG and JPEG files up to 10 MB, recognised by their content, not their name;
- each attachment stores the SHA-256 of its bytes, so a changed file can be detected.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from frontoffice.core.audit import audit_record
from frontoffice.core.scoping import user_scope
from frontoffice.finance.models import Attachment, JournalEntry

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# File signatures ("magic numbers") of the accepted formats.
SIGNATURES = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}
ATTACHABLE = (JournalEntry.Status.DRAFT, JournalEntry.Status.AWAITING_APPROVAL)


def attachment_content_type(head: bytes) -> str | None:
    """The accepted format the first bytes of a file announce, or None."""
    for signature, content_type in SIGNATURES.items():
        if head.startswith(signature):
            return content_type
    return None


@transaction.atomic
def attachment_add(*, actor: Any, entry: JournalEntry, file: UploadedFile) -> Attachment:
    """Attach a supporting document to a draft or a voucher awaiting approval.

    Needs ``finance.add_journalentry`` in the voucher's legal entity. Raises ValidationError
    with code ``not_attachable`` (posted voucher), ``file_too_large`` or ``file_type``.
    """
    if not actor.has_perm("finance.add_journalentry"):
        raise PermissionDenied(_("You do not have permission to do this."))
    scope = user_scope(actor)
    if not scope.everything and scope.legal_entity_id != entry.legal_entity_id:
        raise PermissionDenied(_("You can only change vouchers of your own legal entity."))
    locked = JournalEntry.objects.select_for_update(of=("self",)).get(pk=entry.pk)
    if locked.status not in ATTACHABLE:
        raise ValidationError(
            _("Documents can only be attached to drafts and vouchers awaiting approval."),
            code="not_attachable",
        )
    if file.size is None or file.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError(
            {"file": _("The file is larger than 10 MB.")},
            code="file_too_large",
        )
    file.seek(0)
    if attachment_content_type(file.read(16)) is None:
        raise ValidationError(
            {"file": _("Attach a PDF, PNG or JPEG file.")},
            code="file_type",
        )
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    name = os.path.basename(file.name or "document")[:200] or "document"
    attachment = Attachment(entry=locked, name=name, sha256=digest.hexdigest(), uploaded_by=actor)
    attachment.file.save(name, file, save=False)
    attachment.full_clean()
    attachment.save()
    audit_record(
        actor=actor,
        action="finance.voucher.attachment_added",
        obj=locked,
        changes={"attachment": [None, f"{name} sha256:{attachment.sha256[:12]}"]},
    )
    return attachment
