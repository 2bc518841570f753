"""JSON shapes of exports (marshmallow)."""
from flask import url_for
from marshmallow import fields, validate

from core.schemas import NAME, Id, LooseSchema, Schema, Text
from core.timefmt import LocalDateTime
from reporting.exports.registry import EXPORTERS

KINDS = ", ".join(f"{kind} ({exporter.title})" for kind, exporter in EXPORTERS.items())


class ExportInSchema(LooseSchema):
    kind = fields.String(required=True, validate=validate.OneOf(list(EXPORTERS)),
                         metadata={"description": f"the list to export: {KINDS}"})
    unit = Id(required=True, metadata={"description": "the acting unit, whose list it is"})
    filters = fields.Dict(keys=Text(NAME), values=fields.Raw(allow_none=True), load_default=dict,
                          validate=validate.Length(max=30),
                          metadata={"description": "the list page's query arguments (e.g. state, q, overdue; "
                                                   "campaign_id for the zeroing ledger; code, and period as 2026-11 "
                                                   "or 2026, for a kept ledger); others are ignored"})


class ExportSchema(Schema):
    id = fields.Integer()
    unit_id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    filters = fields.Dict(keys=fields.String(), values=fields.String())
    state = fields.String(metadata={"description": "queued, running, done, failed or expired"})
    state_label = fields.String()
    total_rows = fields.Integer()
    processed_rows = fields.Integer()
    percent = fields.Integer()
    filename = fields.String()
    size = fields.Integer(allow_none=True, metadata={"description": "bytes of the xlsx, once done"})
    failure = fields.String(allow_none=True)
    created_at = LocalDateTime()
    finished_at = LocalDateTime(allow_none=True)
    expires_at = LocalDateTime(allow_none=True, metadata={"description": "the file is deleted after this"})
    download_url = fields.Method("_download_url", metadata={"description": "set once the file is ready"})

    def _download_url(self, export) -> str | None:
        return url_for("api.download_export", export_id=export.id) if export.state == "done" else None
