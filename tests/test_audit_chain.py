"""The audit chain against a DBA working behind the app's back (issue 16 item 4): keyed links, signed
checkpoints that anchor each chain's head, and every break of a chain reported."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from core import context
from core.audit import operations as audit
from core.extensions import db
from tests.conftest import ADMIN_URL, run_queued_jobs


def make_chain(app, factory, events: int = 6) -> str:
    """A unit's chain of ``events`` rows (after whatever creating the unit wrote), verified and anchored."""
    tree = factory.tree()
    with app.app_context():
        with context.acting(context.maintenance_context(), db.session):
            for number in range(events):
                audit.record("test.event", unit_id=tree.town, detail={"n": number})
            db.session.commit()
    return audit.chain_for(tree.town)


def rows(owner_engine, chain: str) -> list[tuple[int, int, str]]:
    """(seq, id, hash) of the chain, read as the DBA."""
    with owner_engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            text("SELECT seq, id, hash FROM audit_events WHERE chain = :c ORDER BY seq"), {"c": chain})]


def verify(app, *checkpoint_files) -> list[tuple[str, int, str]]:
    with app.app_context():
        with context.acting(context.ActingContext(platform_role="audit"), db.session):
            return [(b.chain, b.seq, b.reason) for b in audit.verify_all(tuple(checkpoint_files))]


def run_verification_job(app) -> None:
    """The periodic job as the worker runs it: verify, then sign the heads' checkpoints."""
    from core.audit.jobs import verify_audit_chains

    with app.app_context():
        verify_audit_chains()


def run_hourly_anchoring(app) -> None:
    from core.audit.jobs import anchor_audit_heads

    with app.app_context():
        anchor_audit_heads()


def cut_tail(owner_engine, chain: str, keep: int) -> None:
    """Delete the rows above ``keep`` and move the head back onto row ``keep``, as a DBA would."""
    with owner_engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE chain = :c AND seq > :k"), {"c": chain, "k": keep})
        conn.execute(text("UPDATE audit_chain_heads SET seq = :k, hash = (SELECT hash FROM audit_events"
                          " WHERE chain = :c AND seq = :k) WHERE chain = :c"), {"c": chain, "k": keep})


def test_an_intact_chain_verifies_and_its_head_is_anchored(app, factory, owner_engine):
    chain = make_chain(app, factory)
    assert verify(app) == []
    run_verification_job(app)
    with owner_engine.connect() as conn:
        anchored = conn.execute(text("SELECT seq, hash FROM audit_checkpoints WHERE chain = :c"), {"c": chain}).one()
    assert tuple(anchored) == rows(owner_engine, chain)[-1][::2]
    assert verify(app) == []


def test_a_tampered_row_is_reported_at_that_row(app, factory, owner_engine):
    chain = make_chain(app, factory)
    seq, row_id, _ = rows(owner_engine, chain)[2]
    with owner_engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET detail = '{\"n\": 99}' WHERE id = :i"), {"i": row_id})
    assert verify(app) == [(chain, seq, audit.ALTERED)]


def test_a_deleted_middle_row_is_reported_as_missing(app, factory, owner_engine):
    chain = make_chain(app, factory)
    with owner_engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE chain = :c AND seq = 3"), {"c": chain})
    assert verify(app) == [(chain, 3, audit.MISSING)]


def test_a_cut_tail_with_the_head_moved_back_is_reported_against_the_checkpoint(app, factory, owner_engine):
    chain = make_chain(app, factory)
    run_verification_job(app)
    last = rows(owner_engine, chain)[-1][0]
    cut_tail(owner_engine, chain, last - 2)
    assert verify(app) == [(chain, last - 1, audit.CUT)]
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"chain={chain} seq={last - 1}" in result.output and audit.CUT in result.output
    # New events written over the cut lengthen the chain past the checkpoint again: still reported.
    with app.app_context():
        with context.acting(context.maintenance_context(), db.session):
            for number in range(3):
                audit.record("test.event", unit_id=int(chain.split(":")[1]), detail={"after": number})
            db.session.commit()
    assert verify(app) == [(chain, last, audit.ANCHOR_MISMATCH)]


def test_two_breaks_in_one_chain_are_both_reported_by_the_cli_the_job_and_the_audit_page(
        app, browser, factory, owner_engine):
    chain = make_chain(app, factory, events=8)
    seqs = rows(owner_engine, chain)
    with owner_engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET account_name = 'nobody' WHERE id = :i"), {"i": seqs[2][1]})
        conn.execute(text("DELETE FROM audit_events WHERE id = :i"), {"i": seqs[6][1]})
    expected = [(chain, seqs[2][0], audit.ALTERED), (chain, seqs[6][0], audit.MISSING)]
    assert verify(app) == expected
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and result.output.count("BROKEN") == 2
    factory.account("aud", platform_role="audit")
    browser.login("aud")
    assert browser.post("/admin/audit/verify", form_page="/admin/audit").status_code == 302
    run_queued_jobs(app)
    page = browser.get("/admin/audit?action=audit.verify&outcome=failed").get_data(as_text=True)
    assert audit.ALTERED in page and audit.MISSING in page


def test_a_superuser_recomputing_the_chain_with_plain_sm3_fails(app, factory, owner_engine):
    """The DBA edits a row and re-links every row after it with plain SM3, head included: without the audit key
    no row he wrote verifies, and a checkpoint he forges to call them legacy rows is refused."""
    from core.audit.models import AuditEvent

    chain = make_chain(app, factory)
    first = rows(owner_engine, chain)[2][0]
    with app.app_context():
        with context.acting(context.ActingContext(platform_role="audit"), db.session):
            events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.chain == chain, AuditEvent.seq >= first)
                                        .order_by(AuditEvent.seq)).all()
            events[0].detail = '{"n": "rewritten"}'
            prev, forged = events[0].prev_hash, []
            for event in events:
                event.prev_hash = prev
                prev = audit.event_hash(event, keyed=False)
                forged.append({"i": event.id, "d": event.detail, "p": event.prev_hash, "h": prev})
            seqs = [event.seq for event in events]
            db.session.rollback()
    with owner_engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET detail = :d, prev_hash = :p, hash = :h WHERE id = :i"), forged)
        conn.execute(text("UPDATE audit_chain_heads SET hash = :h WHERE chain = :c"), {"h": prev, "c": chain})
        conn.execute(text("INSERT INTO audit_checkpoints (chain, seq, hash, keyed_from, signed_at, signature)"
                          " VALUES (:c, :s, :h, :k, CURRENT_TIMESTAMP, :sig)"),
                     {"c": chain, "s": seqs[-1], "h": prev, "k": seqs[-1] + 1, "sig": "0" * 64})
    breaks = verify(app)
    assert (chain, seqs[-1], audit.FORGED) in breaks
    assert [b for b in breaks if b[2] != audit.FORGED] == [(chain, seq, audit.ALTERED) for seq in seqs]


def test_rows_linked_with_plain_sm3_before_the_cut_over_still_verify(app, factory, owner_engine):
    """What migration 0014 leaves: legacy rows with plain SM3 links, a signed checkpoint naming the first keyed
    row, keyed rows after it. A legacy row edited afterwards is still reported."""
    from core.audit.models import AuditEvent
    from core.audit.signing import checkpoint_signature
    from core.clock import utcnow

    chain = make_chain(app, factory, events=3)
    with app.app_context():
        with context.acting(context.ActingContext(platform_role="audit"), db.session):
            legacy, prev = [], audit.GENESIS
            for event in db.session.scalars(db.select(AuditEvent).where(AuditEvent.chain == chain)
                                            .order_by(AuditEvent.seq)):
                event.prev_hash = prev
                prev = audit.event_hash(event, keyed=False)
                legacy.append({"i": event.id, "p": event.prev_hash, "h": prev})
            head_seq, signed_at = event.seq, utcnow() - timedelta(days=1)
            signature = checkpoint_signature(chain, head_seq, prev, head_seq + 1, signed_at)
            db.session.rollback()
    with owner_engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET prev_hash = :p, hash = :h WHERE id = :i"), legacy)
        conn.execute(text("UPDATE audit_chain_heads SET hash = :h WHERE chain = :c"), {"h": prev, "c": chain})
        conn.execute(text("INSERT INTO audit_checkpoints (chain, seq, hash, keyed_from, signed_at, signature)"
                          " VALUES (:c, :s, :h, :k, :t, :sig)"),
                     {"c": chain, "s": head_seq, "h": prev, "k": head_seq + 1, "t": signed_at, "sig": signature})
    with app.app_context():
        with context.acting(context.maintenance_context(), db.session):
            for number in range(3):
                audit.record("test.event", unit_id=int(chain.split(":")[1]), detail={"keyed": number})
            db.session.commit()
    assert verify(app) == []
    run_verification_job(app)
    assert verify(app) == []
    with owner_engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET outcome = 'denied' WHERE id = :i"), {"i": legacy[1]["i"]})
    assert verify(app) == [(chain, 2, audit.ALTERED)]


def test_the_published_checkpoint_file_catches_a_cut_whose_checkpoints_were_deleted_too(
        app, factory, owner_engine, tmp_path, monkeypatch):
    """A superuser may delete the table's checkpoints as well; the file the hourly anchoring publishes (and the copy
    the backup keeps, given to `flask audit verify --checkpoints`) still anchors the head."""
    published = tmp_path / "published.jsonl"
    monkeypatch.setitem(app.config, "AUDIT_CHECKPOINT_FILE", str(published))
    chain = make_chain(app, factory)
    run_hourly_anchoring(app)
    assert chain in published.read_text()
    last = rows(owner_engine, chain)[-1][0]
    cut_tail(owner_engine, chain, last - 3)
    with owner_engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_checkpoints"))
    assert verify(app) == [(chain, last - 2, audit.CUT)]
    monkeypatch.setitem(app.config, "AUDIT_CHECKPOINT_FILE", None)
    assert verify(app) == []  # the database alone can no longer tell
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--checkpoints", str(published)])
    assert result.exit_code == 1 and audit.CUT in result.output


@pytest.mark.skipif(not ADMIN_URL, reason="database roles exist on PostgreSQL only")
def test_the_app_role_cannot_delete_or_rewrite_checkpoints(app, factory, owner_engine):
    chain = make_chain(app, factory)
    run_verification_job(app)
    last = rows(owner_engine, chain)[-1][0]
    with app.app_context():
        for ctx in (context.ActingContext(platform_role="audit"), context.maintenance_context()):
            for statement in ("DELETE FROM audit_checkpoints", "UPDATE audit_checkpoints SET seq = 1, hash = 'x'",
                              "TRUNCATE audit_checkpoints"):
                with context.acting(ctx, db.session):
                    try:
                        db.session.execute(text(statement))
                        db.session.commit()
                    except Exception:
                        db.session.rollback()
    with owner_engine.connect() as conn:
        assert conn.execute(text("SELECT seq FROM audit_checkpoints WHERE chain = :c"), {"c": chain}).scalar() == last
        # Not only refused by the policies: the grants that follow every upgrade leave the app role no such right.
        privileges = conn.execute(text("SELECT has_table_privilege(:r, 'audit_checkpoints', 'UPDATE'), "
                                       "has_table_privilege(:r, 'audit_checkpoints', 'DELETE')"),
                                  {"r": app.config["DATABASE_APP_ROLE"]}).one()
        assert privileges == (False, False)
    cut_tail(owner_engine, chain, last - 1)
    assert verify(app) == [(chain, last, audit.CUT)]


def test_production_refuses_to_start_without_the_audit_key(tmp_path, monkeypatch):
    from core.config import ConfigError, load_config

    for var, value in [("QINGLIAN_ENV", "production"), ("SECRET_KEY", "s"), ("QINGLIAN_FIELD_KEYS", "k1:" + "0" * 32),
                       ("QINGLIAN_MATCHING_KEY", "m")]:
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("QINGLIAN_AUDIT_KEY", raising=False)
    with pytest.raises(ConfigError, match="QINGLIAN_AUDIT_KEY"):
        load_config(tmp_path)
    monkeypatch.setenv("QINGLIAN_AUDIT_KEY", "a")
    assert load_config(tmp_path)["AUDIT_KEY"] == "a"
