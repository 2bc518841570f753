"""Marshmallow schemas for the tenancy API (input and output)."""
from marshmallow import fields, validate

from core.identity.models import PlatformRole
from core.schemas import Id, Int, Schema, Text
from core.timefmt import LocalDateTime
from tenants.models import Role, UnitLevel


class UnitSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str()
    level = fields.Str()
    code = fields.Str()
    parent_id = fields.Int(allow_none=True)
    path = fields.Str(dump_only=True)
    archived = fields.Method("_archived", dump_only=True)
    version = fields.Int(dump_only=True)

    def _archived(self, unit):
        return unit.archived_at is not None


class UnitCreateSchema(Schema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    level = fields.Str(required=True, validate=validate.OneOf([lvl.value for lvl in UnitLevel]))
    code = Text(32, required=True)
    parent_id = Id(allow_none=True, load_default=None)


class UnitUpdateSchema(Schema):
    """Rename, move (parent_id) or archive/restore (archived); ``version`` guards against stale edits."""

    name = fields.Str(validate=validate.Length(min=1, max=100))
    parent_id = Id()
    archived = fields.Bool()
    version = Int()


class ImportRowSchema(Schema):
    row = fields.Int()
    code = fields.Str()
    name = fields.Str()
    level = fields.Str()
    parent_code = fields.Str()
    errors = fields.List(fields.Str())


class ImportResultSchema(Schema):
    dry_run = fields.Bool()
    committed = fields.Bool()
    created = fields.Int()
    error_count = fields.Int()
    rows = fields.List(fields.Nested(ImportRowSchema))


class MembershipSchema(Schema):
    id = fields.Int(dump_only=True)
    account_id = fields.Int()
    username = fields.Function(lambda m: m.account.username, dump_only=True)
    unit_id = fields.Int()
    unit_name = fields.Function(lambda m: m.unit.name, dump_only=True)
    role = fields.Str()
    ended = fields.Function(lambda m: m.ended_at is not None, dump_only=True)
    version = fields.Int(dump_only=True)


class MembershipCreateSchema(Schema):
    unit_id = Id(required=True)
    role = fields.Str(required=True, validate=validate.OneOf([r.value for r in Role]))


class UnitMemberCreateSchema(Schema):
    username = Text(64, required=True)
    role = fields.Str(required=True, validate=validate.OneOf([r.value for r in Role]))


class AccountSchema(Schema):
    id = fields.Int(dump_only=True)
    username = fields.Str()
    display_name = fields.Str()
    platform_role = fields.Str(allow_none=True)
    locked = fields.Method("_locked", dump_only=True)
    archived = fields.Function(lambda a: a.archived_at is not None, dump_only=True)
    has_second_factor = fields.Function(lambda a: a.has_totp, dump_only=True)
    version = fields.Int(dump_only=True)

    def _locked(self, account):
        from core.clock import utcnow

        return account.locked(utcnow())


class AccountCreateSchema(Schema):
    username = fields.Str(required=True, validate=validate.Length(min=1, max=64))
    display_name = fields.Str(required=True, validate=validate.Length(min=1, max=64))


class AccountCreatedSchema(AccountSchema):
    initial_password = fields.Str(dump_only=True)


class AccountUpdateSchema(Schema):
    display_name = fields.Str(validate=validate.Length(min=1, max=64))
    platform_role = fields.Str(allow_none=True, validate=validate.OneOf([r.value for r in PlatformRole]))
    unlock = fields.Bool()
    archived = fields.Bool(validate=validate.Equal(True))
    reset_password = fields.Bool(validate=validate.Equal(True))
    reset_second_factor = fields.Bool(validate=validate.Equal(True))


class TokenRequestSchema(Schema):
    username = Text(64, required=True)
    password = Text(256, required=True, load_only=True)
    code = Text(16, load_default=None, metadata={"description": "one-time code, where a second factor is set"})
    label = fields.Str(load_default="", validate=validate.Length(max=64))


class TokenSchema(Schema):
    id = fields.Int()
    label = fields.Str()
    created_at = LocalDateTime()
    expires_at = LocalDateTime()
    last_used_at = LocalDateTime(allow_none=True)
    revoked = fields.Function(lambda t: t.revoked_at is not None)


class IssuedTokenSchema(TokenSchema):
    token = fields.Str()


class MeSchema(AccountSchema):
    memberships = fields.List(fields.Nested(MembershipSchema))


class AccountUpdatedSchema(AccountSchema):
    initial_password = fields.Str(metadata={"x_optional": True, "description": "after a password reset"})
