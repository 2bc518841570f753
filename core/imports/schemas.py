"""JSON shapes of imports (marshmallow). The operations validate the mapping field by field, in Chinese."""
from marshmallow import fields, validate

from core.imports import operations as ops
from core.schemas import Int, LooseSchema, Schema, Text
from core.timefmt import LocalDateTime

FIELD_KEYS = ", ".join(f.key for f in ops.FIELDS)


class MappingInSchema(LooseSchema):
    mapping = fields.Dict(keys=Text(32), values=Text(200, allow_none=True), load_default=dict,
                          validate=validate.Length(max=100),
                          metadata={"description": f"field -> column title of the sheet; fields: {FIELD_KEYS}"})
    version = Int(load_default=None, allow_none=True)


class StepInSchema(LooseSchema):
    version = Int(load_default=None, allow_none=True)


class ImportProblemSchema(Schema):
    row = fields.Integer(metadata={"description": "the row in the sheet (the title row is 1)"})
    field = fields.String()
    column = fields.String()
    message = fields.String()


class ImportJobSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    filename = fields.String()
    size = fields.Integer()
    headers = fields.List(fields.String())
    mapping = fields.Dict(keys=fields.String(), values=fields.String(), allow_none=True)
    suggested_mapping = fields.Method("_suggested", metadata={"description": "a first guess from the titles"})
    state = fields.String(metadata={"description": "uploaded, mapped, checking, checked, check_failed, "
                                                   "committing, committed or failed"})
    state_label = fields.String()
    total_rows = fields.Integer(metadata={"description": "an estimate until the dry run has counted"})
    processed_rows = fields.Integer()
    percent = fields.Integer()
    error_count = fields.Integer(metadata={"description": "rows with an error"})
    duplicate_count = fields.Integer(metadata={"description": "rows that repeat a petition or an earlier row"})
    errors = fields.List(fields.Nested(ImportProblemSchema), metadata={"description": "the first 200 problems"})
    created_count = fields.Integer()
    first_number = fields.String(allow_none=True)
    last_number = fields.String(allow_none=True)
    failure = fields.String(allow_none=True)
    created_at = LocalDateTime()
    checked_at = LocalDateTime(allow_none=True)
    committed_at = LocalDateTime(allow_none=True)
    version = fields.Integer()

    def _suggested(self, job) -> dict:
        return job.mapping or ops.suggest_mapping(job.headers)


class ImportJobListItemSchema(ImportJobSchema):
    class Meta:
        exclude = ("errors", "suggested_mapping")
