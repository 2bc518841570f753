"""JSON shapes of attachments (marshmallow). A file identifying the informant shows as masked: no name."""
from __future__ import annotations

from flask_babel import gettext as _
from marshmallow import fields

from core.attachments.kinds import KINDS
from core.schemas import LooseSchema, Schema, Text
from core.timefmt import LocalDateTime


class AttachmentSchema(Schema):
    id = fields.Integer()
    record_type = fields.String(attribute="object_type")
    record_id = fields.Integer(attribute="object_id")
    filename = fields.Method("_filename", metadata={"description": "masked for a file identifying the informant"})
    kind = fields.String(metadata={"description": "sniffed from the content: pdf, jpeg, png, tiff, docx, xlsx, doc, "
                                                  "xls, mp3, m4a, wav, amr, mp4, mov, avi"})
    kind_label = fields.Method("_kind_label")
    size = fields.Integer()
    sm3 = fields.String(metadata={"description": "SM3 of the plain file, checked on every download"})
    informant = fields.Boolean(metadata={"description": "identifies the informant: download asks a reason"})
    uploaded_at = LocalDateTime()
    archived = fields.Method("_archived")

    def _filename(self, attachment) -> str:
        return _("涉及举报人的附件（已遮蔽）") if attachment.informant else attachment.filename

    def _kind_label(self, attachment) -> str:
        kind = KINDS.get(attachment.kind)
        return str(kind.label) if kind else ""

    def _archived(self, attachment) -> bool:
        return attachment.archived_at is not None


class ArchiveInSchema(LooseSchema):
    reason = Text(500, required=True)
