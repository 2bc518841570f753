"""JSON API of attachments (/api/v1/u/<unit>/attachments): a record's files, upload (multipart), download, archive.

The record is named by ``record_type`` (its table: petitions, clearing_cases, clearing_visits, supervision_items,
supervision_reports, directive_returns, backlog_cases, joint_meetings, inspection_findings) and ``record_id``;
its files answer where the record does and where its files travel (core.attachments.queries). A file identifying
the informant is listed masked; its download asks a ``reason`` (intake and leaders of the owning unit), audited.
"""
from __future__ import annotations

from flask import g, jsonify, request
from flask_login import current_user

from core.api import api, documented, parse_json
from core.attachments import operations as ops
from core.attachments import queries
from core.attachments.schemas import ArchiveInSchema, AttachmentSchema
from core.attachments.responses import file_response
from tenants.access import Action, deny

PREFIX, DOC = "/u/<int:unit_id>/attachments", "/u/{unit_id}/attachments"
ONE, ONE_DOC = f"{PREFIX}/<int:file_id>", f"{DOC}/{{file_id}}"
RECORD_QUERY = {
    "record_type": ({"type": "string", "maxLength": 64}, "the record's kind (its table name, e.g. petitions)"),
    "record_id": ({"type": "integer", "minimum": 1, "maximum": 2**31 - 1}, "the record's id"),
}


@api.get(PREFIX)
@documented(DOC, "get", "The files of one record (record_type, record_id), oldest first; archived=1 for the "
            "archived ones", response=AttachmentSchema, envelope="items", tag="attachments",
            query={**RECORD_QUERY, "archived": ({"type": "integer", "enum": [0, 1]}, "1: the archived files")})
def list_attachments(unit_id: int):
    reached = queries.load_record(request.args.get("record_type"), request.args.get("record_id"), unit=g.unit,
                                  account=current_user)
    archived = request.args.get("archived") == "1" and reached.own  # as the panel: the owner keeps the archive
    return jsonify(items=AttachmentSchema(many=True).dump(queries.files_of(reached, archived=archived)))


@api.post(PREFIX)
@documented(DOC, "post", "Upload files to a record (multipart/form-data: record_type, record_id, one or more "
            "`file`, informant=1 to mark a petition's file as identifying the informant); the kind is sniffed "
            "from the content, each kind has its size limit; 422 names the refused file and nothing is stored",
            response=AttachmentSchema, envelope="items", tag="attachments", status=201)
def upload_attachments(unit_id: int):
    reached = queries.load_for_upload(request.form.get("record_type"), request.form.get("record_id"), unit=g.unit,
                                      account=current_user)
    stored = ops.upload_all(reached.record, request.files.getlist("file"), acting_unit=g.unit,
                            informant=request.form.get("informant") in ("1", "true"))
    return jsonify(items=AttachmentSchema(many=True).dump(stored)), 201


@api.get(f"{ONE}/content")
@documented(f"{ONE_DOC}/content", "get", "The file itself, checked against its SM3 digest (409 when the stored "
            "file is damaged, audited); a file identifying the informant asks `reason` (intake and leaders)",
            content_type="*/*", tag="attachments",  # the file's own type (PDF, image, video …)
            query={"reason": ({"type": "string", "maxLength": 500}, "why an informant's file is opened (audited)")})
def download_attachment(unit_id: int, file_id: int):
    attachment, reached = queries.load_file(file_id, unit=g.unit, account=current_user)
    if attachment.informant:
        if not queries.may_reveal(attachment, reached, current_user, g.unit):
            deny(Action.INFORMANT_REVEAL, unit=g.unit, object_type="attachments", object_id=attachment.id)
        ops.reveal(attachment, request.args.get("reason"))
    return file_response(attachment, "download")


@api.post(f"{ONE}/archive")
@documented(f"{ONE_DOC}/archive", "post", "Archive a file with a reason (it stays stored; nothing is deleted)",
            body=ArchiveInSchema, response=AttachmentSchema, tag="attachments")
def archive_attachment(unit_id: int, file_id: int):
    attachment, reached = queries.load_file(file_id, unit=g.unit, account=current_user)
    if not queries.may_archive(attachment, reached, current_user, g.unit):
        deny(reached.entry.attach[0], unit=g.unit, object_type="attachments", object_id=attachment.id)
    args = parse_json(ArchiveInSchema())
    return jsonify(AttachmentSchema().dump(ops.archive(attachment, args["reason"])))
