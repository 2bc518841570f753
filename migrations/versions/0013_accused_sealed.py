"""informant and accused data sealed (issue 16 items 2-3)

The accused person's fields of petitions and the person's fields of clearing candidates and cases are sealed
with the app's field keys (core.crypto, SM4-GCM bound to table, unit and id), their matching keys become keyed
hashes (HMAC-SM3 under MATCHING_KEY) with a new name-only key for exact search; titles and labels stored with a
person's name (inbox, 交办件, cross-handling grants, campaign ledgers) keep the record's number instead. Routed
petitions no longer hold the informant at the origin (it moved to the handling unit), and links across units
no longer say whether the informant matched; those that rested on the informant alone and were never decided
are dropped. Runs in the app's context (``flask db upgrade``): the keys are the app's.

Revision ID: 0013_accused_sealed
Revises: 0012_zones
Create Date: 2026-12-04 15:00:00

"""
import json
import re

import sqlalchemy as sa
from alembic import op

revision = '0013_accused_sealed'
down_revision = '0012_zones'
branch_labels = None
depends_on = None

# table -> (sealed columns: name, position, work unit; its person-key column; its name-key column)
SEALED = {
    "petitions": (("accused_name", "accused_position", "accused_work_unit"), "accused_key", "accused_name_key"),
    "clearing_candidates": (("person_name", "person_position", "person_work_unit"), None, None),
    "clearing_cases": (("person_name", "person_position", "person_work_unit"), "person_key", "person_name_key"),
}
OLD_LENGTHS = {"accused_name": 50, "accused_position": 100, "accused_work_unit": 100, "person_name": 100,
               "person_position": 100, "person_work_unit": 100}
TOUCHED = ("petitions", "clearing_candidates", "clearing_cases", "petition_links", "inbox_items", "cross_grants",
           "supervision_items", "campaign_enrolments")
TOKEN = re.compile(r"^[^\s$]+\$[A-Za-z0-9+/]+=*$")  # keyid$base64: already sealed
LABEL = re.compile(r"([^\s：:，,（(]+〔\d{4}〕\d+号) ([^\s（）()，,：:；;]+)")
BATCH = 1000


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _rls(force: bool) -> None:
    """The owner migrates every unit's rows: forced RLS is lifted for the data steps and put back after."""
    if _postgres():
        for table in TOUCHED:
            op.execute(f"ALTER TABLE {table} {'' if force else 'NO '}FORCE ROW LEVEL SECURITY")


def _update(conn, table: str, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        chunk = rows[start:start + BATCH]
        columns = [c for c in chunk[0] if c != "id"]
        conn.execute(sa.text(f"UPDATE {table} SET {', '.join(f'{c} = :{c}' for c in columns)} WHERE id = :id"), chunk)


def _seal_rows(conn) -> dict[str, dict[int, tuple[str, str]]]:
    """Seal every plain value; returns the (number, name) of each petition and case, for the labels."""
    from core.crypto import encrypt_field, name_key, person_key, row_associated

    named: dict[str, dict[int, tuple[str, str]]] = {}
    for table, (columns, key_column, name_key_column) in SEALED.items():
        number = "number" if table != "clearing_candidates" else "reference"
        rows, named[table] = [], {}
        for row in conn.execute(sa.text(f"SELECT id, unit_id, {number}, {', '.join(columns)} FROM {table}")).mappings():
            if row[columns[0]] and TOKEN.match(row[columns[0]]):
                continue  # sealed already (a migration run twice)
            named[table][row["id"]] = (row[number], row[columns[0]] or "")
            out = {"id": row["id"]}
            for column in columns:
                value = row[column] or ""
                out[column] = encrypt_field(value, row_associated(table, row["unit_id"], row["id"], column)) if value else ""
            if key_column:
                out[key_column] = person_key(row[columns[0]], row[columns[2]])
                out[name_key_column] = name_key(row[columns[0]])
            rows.append(out)
        _update(conn, table, rows)
    return named


def _unname_labels(conn, named) -> None:
    """Stored titles and labels name the record by its number: "X信〔2026〕3号 张三" becomes "X信〔2026〕3号"."""
    by_number = {number: name for table in ("petitions", "clearing_cases") for number, name in named[table].values()}
    by_record = {(table, rid): pair for table in ("petitions", "clearing_cases") for rid, pair in named[table].items()}

    def clean(text, record=None):
        if not text:
            return text
        text = LABEL.sub(lambda m: m.group(1) if by_number.get(m.group(1)) == m.group(2) else m.group(0), text)
        number, name = by_record.get(record, (None, ""))
        return text.replace(name, number) if name and name in text else text

    for table, id_column, columns, ref in (
            ("inbox_items", "id", ("title",), ("object_type", "object_id")),
            ("supervision_items", "id", ("title", "subject_label"), ("subject_type", "subject_id")),
            ("campaign_enrolments", "id", ("label",), ("object_type", "object_id")),
            ("cross_grants", "id", ("object_label",), ("object_type", "object_id"))):
        rows = []
        for row in conn.execute(sa.text(f"SELECT {id_column}, {', '.join(columns + ref)} FROM {table}")).mappings():
            record = (row[ref[0]], row[ref[1]])
            out = {c: clean(row[c], record) for c in columns}
            if table == "cross_grants" and record in by_record:
                out["object_label"] = by_record[record][0]
            if any(out[c] != row[c] for c in columns):
                rows.append({"id": row[id_column], **out})
        _update(conn, table, rows)


def _informant_moves_and_links(conn) -> None:
    """Routed petitions: the origin keeps no identity. Cross-unit links: no informant part; informant-only
    proposals across units are withdrawn."""
    moved = []
    for row in conn.execute(sa.text("SELECT id, routing FROM petitions WHERE routing IS NOT NULL")).mappings():
        routing = json.loads(row["routing"]) if isinstance(row["routing"], str) else row["routing"]
        if routing:
            moved.append({"id": row["id"], "informant_name": None, "informant_id_number": None,
                          "informant_phone": None, "informant_address": None})
    _update(conn, "petitions", moved)
    conn.execute(sa.text("DELETE FROM petition_links WHERE unit_id <> other_unit_id AND state = 'proposed' "
                         "AND same_accused = :no"), {"no": False})
    conn.execute(sa.text("UPDATE petition_links SET same_informant = :no WHERE unit_id <> other_unit_id"),
                 {"no": False})


def upgrade():
    for table, (columns, _key, name_key_column) in SEALED.items():
        with op.batch_alter_table(table) as batch:  # ciphertext is longer than the names were
            for column in columns:
                batch.alter_column(column, type_=sa.Text(), existing_nullable=False)
        if name_key_column:
            op.add_column(table, sa.Column(name_key_column, sa.String(64), nullable=False, server_default=""))
    op.create_index("ix_petitions_accused_name_key", "petitions", ["unit_id", "accused_name_key"])
    op.create_index("ix_clearing_cases_person_name", "clearing_cases", ["unit_id", "person_name_key"])
    conn = op.get_bind()
    _rls(False)
    try:
        named = _seal_rows(conn)
        _unname_labels(conn, named)
        _informant_moves_and_links(conn)
    finally:
        _rls(True)


def downgrade():
    """Back to plain text (the keys must still be in the keyring); titles keep their numbers."""
    from core.crypto import decrypt_field, normalized, row_associated

    conn = op.get_bind()
    _rls(False)
    try:
        for table, (columns, key_column, _name) in SEALED.items():
            rows = []
            for row in conn.execute(sa.text(f"SELECT id, unit_id, {', '.join(columns)} FROM {table}")).mappings():
                out = {"id": row["id"]}
                for column in columns:
                    value = row[column] or ""
                    out[column] = decrypt_field(value, row_associated(table, row["unit_id"], row["id"], column)) \
                        if TOKEN.match(value) else value
                if key_column:
                    out[key_column] = f"{normalized(out[columns[0]])}|{normalized(out[columns[2]])}"[:200]
                rows.append(out)
            _update(conn, table, rows)
    finally:
        _rls(True)
    op.drop_index("ix_clearing_cases_person_name", "clearing_cases")
    op.drop_index("ix_petitions_accused_name_key", "petitions")
    for table, (columns, _key, name_key_column) in SEALED.items():
        with op.batch_alter_table(table) as batch:
            if name_key_column:
                batch.drop_column(name_key_column)
            for column in columns:
                batch.alter_column(column, type_=sa.String(OLD_LENGTHS[column]), existing_nullable=False)
