"""Federation: a second deployment (its own app, its own SQLite database) pushes its province's roll-ups
to this one (the upstream, the nation), signed with its Ed25519 key; the upstream shows it as a child
unit of its root. Replayed, tampered, unknown-key and stale pushes are refused and audited.

The downstream's push goes through the upstream's Flask test client instead of HTTP (the transport is
injected); everything else is the code a deployment runs.
"""
from __future__ import annotations

from datetime import date

import json
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from core.areas import installed
from core import context
from core.app import create_app
from core.extensions import db
from tests.conftest import Browser, Factory

PEER = "zhejiang"
ROOT_CODE = "330000"
SECRET_MARKERS = ["王秘密", "13800001111", "反映东镇某干部问题"]


@dataclass
class Downstream:
    app: object
    public_key: str
    private_key: str
    root_id: int
    town_id: int
    town2_id: int


@pytest.fixture(scope="module")
def downstream(app, tmp_path_factory) -> Downstream:
    """A province deployment of its own: its database, its tree, its petitions, its key pair."""
    from flask_migrate import upgrade

    from reporting.federation import signing

    private, public = signing.generate()
    path = tmp_path_factory.mktemp("downstream") / "province.db"
    down = create_app({
        "TESTING": True, "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "RATELIMIT_ENABLED": False,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "DATABASE_MIGRATION_URL": f"sqlite:///{path}",
        "REDIS_URL": None, "FEDERATION_UPSTREAM_URL": "https://nation.example/", "FEDERATION_ID": PEER,
        "FEDERATION_KEY": private,
    })
    with down.app_context():
        upgrade()
    factory = Factory(down)
    province = factory.unit("浙江省", "province", ROOT_CODE)
    city = factory.unit("杭州市", "city", "330100", province)
    county = factory.unit("西湖区", "county", "330106", city)
    town = factory.unit("东镇", "township", "330106001", county)
    town2 = factory.unit("西镇", "township", "330106002", county)
    with down.app_context(), context.acting(context.maintenance_context(), db.session):
        from core import calendar
        from tenants import operations as tenancy_ops
        from tenants.models import Unit

        today = calendar.today()
        for unit_id, days_ago in [(town, 0), (town, 0), (town, 3), (town2, 40), (county, 1)]:
            register_petition(db.session.get(Unit, unit_id), today - timedelta(days=days_ago))
        # A zeroing campaign's figures name this deployment's campaign id: they stay here.
        tenancy_ops.bump_stat(db.session.get(Unit, town), "zeroing.7.stock", 5)
        db.session.commit()
    return Downstream(down, public, private, province, town, town2)


def register_petition(unit, received_on):
    from core.petitions import operations as petition_ops

    petition_ops.register_petition(unit, dict(
        channel="letter", received_on=received_on, anonymous=False,
        informant={"name": "王秘密", "phone": "13800001111"}, accused_name="李某", summary="反映东镇某干部问题"))


@pytest.fixture
def nation(app, factory, downstream, tmp_path):
    """The upstream: its root (the tree has no nation level: a province-level 全国, as in the benchmark),
    figures of its own, an analyst, and the downstream registered through the CLI under the root."""
    root = factory.unit("全国", "province", "000000")
    factory.account("nation-analyst", [(root, "analyst")])  # sees the roll-ups, not the admin pages
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        from core import calendar
        from tenants import operations as tenancy_ops
        from tenants.models import Unit

        tenancy_ops.bump_stat(db.session.get(Unit, root), "petitions.received", 2, calendar.today().isoformat())
        db.session.commit()
    key_file = tmp_path / "zhejiang.pub"
    key_file.write_text(downstream.public_key)
    result = app.test_cli_runner().invoke(args=[
        "federation", "register-peer", "--name", PEER, "--public-key", str(key_file), "--unit-name", "浙江省",
        "--unit-code", ROOT_CODE, "--parent-unit", "000000"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        from reporting.federation.models import FederationPeer

        unit_id = db.session.scalar(db.select(FederationPeer.federated_unit_id).where(FederationPeer.name == PEER))
    return {"root": root, "unit": unit_id}


class Wire:
    """The downstream's transport: its pushes go to the upstream's test client; each is kept for replaying."""

    def __init__(self, upstream):
        self.client = upstream.test_client()
        self.sent: list[tuple[bytes, dict]] = []

    def __call__(self, url, body, headers):
        self.sent.append((body, dict(headers)))
        return self.post(body, headers, path=urlsplit(url).path)

    def post(self, body, headers, path="/api/v1/federation/push"):
        response = self.client.post(path, data=body, headers=headers)
        return response.status_code, response.get_json() or {}


def push(downstream, wire, **kw):
    from reporting.federation import operations as fed_ops

    with downstream.app.app_context():
        log = fed_ops.push(wire, **kw)
        db.session.commit()
        return {"outcome": log.outcome, "status": log.http_status, "message": log.message, "sequence": log.sequence,
                "figures": log.figures}


def rollups_of(app, unit_id, periods, keys):
    """{period: {figure: value}} of a unit's subtree with the reporting roll-ups, as the dashboards read them."""
    from reporting.periods import parse_period
    from reporting.rollups import rollup
    from tenants.models import Unit

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        unit = db.session.get(Unit, unit_id)
        return {p: rollup(unit, parse_period(p), keys).values for p in periods}


def comparable_figures() -> list[str]:
    from reporting.figures import FIGURES

    # Coverage counts a unit's children (the federated unit has none here); per-campaign figures name a
    # campaign of one deployment.
    return [key for key, f in FIGURES.items() if f.kind != "coverage" and not f.per_campaign]


def audit_events(app, action):
    from core.audit.models import AuditEvent

    with app.app_context(), context.acting(context.ActingContext(platform_role="audit"), db.session):
        return [(e.outcome, json.loads(e.detail or "{}"), e.unit_id)
                for e in db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action)
                                            .order_by(AuditEvent.id))]


PERIODS = ["week", "month", "year", "quarter"]


def test_a_push_from_a_second_deployment_appears_upstream_as_a_child_unit(app, downstream, nation):
    wire = Wire(app)
    answer = push(downstream, wire)
    assert answer["outcome"] == "accepted" and answer["status"] == 200, answer

    # The federated unit's figures are the downstream root's, figure by figure, for every period.
    keys = comparable_figures()
    there = rollups_of(downstream.app, downstream.root_id, PERIODS, keys)
    here = rollups_of(app, nation["unit"], PERIODS, keys)
    assert here == there
    received = there["year"]["petitions.received"]
    assert received >= 5 and there["week"]["petitions.received"] >= 2
    # The root's roll-up is its own figures plus the downstream's.
    assert rollups_of(app, nation["root"], ["year"], ["petitions.received"])["year"]["petitions.received"] == 2 + received

    # The root's breakdown by child shows the province as one child unit, with its numbers.
    from reporting.periods import parse_period
    from reporting.rollups import children_rollup
    from tenants.models import Unit

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        lines = children_rollup(db.session.get(Unit, nation["root"]), parse_period("year"),
                                ["petitions.received", "petitions.open"])
        children = [(line.unit.name, line.own_level, dict(line.values)) for line in lines]
    assert children == [("浙江省", False, {"petitions.received": received, "petitions.open": there["year"]["petitions.open"]}),
                        ("全国", True, {"petitions.received": 2, "petitions.open": 0})]
    assert there["year"]["petitions.open"] > 0

    # Numbers only: no record, no informant, and nothing naming the downstream's own campaign ids.
    body, headers_sent = wire.sent[0]
    text = body.decode()
    assert not any(marker in text for marker in SECRET_MARKERS)
    assert "zeroing.7" not in text
    payload = json.loads(body)
    assert set(payload) == {"peer", "sequence", "sent_at", "nonce", "root", "figures"}
    assert all(isinstance(v, int) for _m, _p, v in payload["figures"])
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        from tenants.stats import subtree_sum
        from tenants.models import Unit

        assert subtree_sum(db.session.get(Unit, nation["root"]), ["zeroing.7.stock"]) == {"zeroing.7.stock": 0}

    with app.app_context():
        from reporting.federation.models import federated_unit_ids

        assert federated_unit_ids() == {nation["unit"]}

    # The upstream's own recounts (the nightly reconcile, the overdue scans) leave the pushed figures alone.
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        from core.petitions.jobs import recount_overdue
        from reporting.operations import record_reconcile_run
        from reporting.periods import parse_period as _period

        record_reconcile_run(date.today())
        recount_overdue(date.today())
        db.session.commit()
    assert rollups_of(app, nation["unit"], PERIODS, keys) == there

    (outcome, detail, unit_id), = audit_events(app, "federation.push_receive")
    assert outcome == "ok" and unit_id == nation["unit"] and detail["figures"] == len(payload["figures"])
    (outcome, detail, _u), = [e for e in audit_events(downstream.app, "federation.push_send")
                              if e[1]["sequence"] == answer["sequence"]]
    assert outcome == "ok" and detail["status"] == 200


def test_a_later_push_replaces_the_figures_and_zeroes_what_went_away(app, downstream, nation):
    from core import calendar
    from tenants import operations as tenancy_ops
    from tenants.models import Unit

    wire = Wire(app)
    with downstream.app.app_context(), context.acting(context.maintenance_context(), db.session):
        tenancy_ops.set_stat(db.session.get(Unit, downstream.town2_id), "petitions.overdue", 3)
        db.session.commit()
    assert push(downstream, wire)["outcome"] == "accepted"
    assert rollups_of(app, nation["root"], ["week"], ["petitions.overdue"])["week"]["petitions.overdue"] == 3
    received = rollups_of(app, nation["unit"], ["year"], ["petitions.received"])["year"]["petitions.received"]

    with downstream.app.app_context(), context.acting(context.maintenance_context(), db.session):
        tenancy_ops.set_stat(db.session.get(Unit, downstream.town2_id), "petitions.overdue", 0)
        register_petition(db.session.get(Unit, downstream.town2_id), calendar.today())
        db.session.commit()
    assert push(downstream, wire)["outcome"] == "accepted"
    now = rollups_of(app, nation["unit"], ["week", "year"], ["petitions.overdue", "petitions.received"])
    assert now["week"]["petitions.overdue"] == 0
    assert now == rollups_of(downstream.app, downstream.root_id, ["week", "year"],
                             ["petitions.overdue", "petitions.received"])
    assert now["year"]["petitions.received"] == received + 1


def test_replayed_tampered_unknown_key_and_stale_pushes_are_refused_and_audited(app, downstream, nation):
    from core.clock import utcnow
    from reporting.federation import operations as fed_ops
    from reporting.federation import signing

    wire = Wire(app)
    assert push(downstream, wire)["outcome"] == "accepted"
    body, headers = wire.sent[0]
    before = rollups_of(app, nation["root"], ["year"], ["petitions.received"])

    # The same push again: its sequence is not above the last accepted one.
    status, answer = wire.post(body, headers)
    assert (status, answer["reason"]) == (409, "replay")

    # A figure changed on the way: the signature no longer matches the bytes.
    payload = json.loads(body)
    payload["figures"][0][2] += 1000
    payload["sequence"] += 1
    tampered = signing.canonical(payload)
    status, answer = wire.post(tampered, headers)
    assert (status, answer["reason"]) == (401, "unknown_peer_or_signature")

    # Signed with a key the upstream never registered, under the peer's name or an unknown one.
    stranger, _public = signing.generate()
    forged = {**headers, signing.SIGNATURE_HEADER: signing.sign(signing.load_private_key(stranger), tampered)}
    assert wire.post(tampered, forged)[0] == 401
    assert wire.post(tampered, {**forged, signing.PEER_HEADER: "guangdong"})[0] == 401
    assert wire.post(tampered, {"Content-Type": "application/json"})[0] == 401

    # Correctly signed but sent 20 minutes ago (a held-back copy, or a wrong clock).
    with downstream.app.app_context():
        old = fed_ops.prepare_push(now=utcnow() - timedelta(minutes=20))
        db.session.rollback()
    status, answer = wire.post(old.body, old.headers)
    assert (status, answer["reason"]) == (422, "stale") and "时钟" in answer["message"]

    # Nothing of the refused pushes reached the figures.
    assert rollups_of(app, nation["root"], ["year"], ["petitions.received"]) == before

    refusals = [(outcome, detail["reason"], detail.get("cause"))
                for outcome, detail, _u in audit_events(app, "federation.push_receive") if outcome == "denied"]
    assert refusals == [("denied", "replay", None),
                        ("denied", "unknown_peer_or_signature", "signature"),
                        ("denied", "unknown_peer_or_signature", "signature"),
                        ("denied", "unknown_peer_or_signature", "unknown"),
                        ("denied", "unknown_peer_or_signature", "unknown"),
                        ("denied", "stale", None)]
    with app.app_context():
        from reporting.federation.models import FederationPeer

        peer = db.session.scalar(db.select(FederationPeer).where(FederationPeer.name == PEER))
        assert peer.refusals == 4 and peer.last_refusal == "stale"


def test_a_deactivated_peer_or_a_push_of_another_root_is_refused(app, downstream, nation):
    wire = Wire(app)
    result = app.test_cli_runner().invoke(args=["federation", "deactivate", PEER])
    assert result.exit_code == 0, result.output
    answer = push(downstream, wire)
    assert answer["outcome"] == "refused" and answer["status"] == 401

    app.test_cli_runner().invoke(args=["federation", "activate", PEER])
    downstream.app.config["FEDERATION_ROOT"] = "330100"  # the city, not the registered province
    try:
        answer = push(downstream, wire)
    finally:
        downstream.app.config["FEDERATION_ROOT"] = None
    assert answer["outcome"] == "refused" and answer["status"] == 422 and "root_mismatch" in answer["message"]
    assert push(downstream, wire)["outcome"] == "accepted"


def test_the_federated_unit_follows_the_tree_rules_and_takes_no_members(app, factory, downstream, nation):
    from core.errors import InvalidInput
    from core.identity.models import Account
    from reporting.federation import operations as fed_ops
    from tenants import operations as tenancy_ops
    from tenants.models import Unit

    city = factory.unit("一市", "city", "990100", factory.unit("一省", "province", "990000"))
    someone = factory.account("someone")
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        with pytest.raises(InvalidInput) as refused:  # a province under a city
            fed_ops.register_peer("jiangsu", downstream.public_key, unit_name="江苏省", unit_code="320000",
                                  level="province", parent=db.session.get(Unit, city))
        assert "parent_id" in refused.value.errors
        with pytest.raises(InvalidInput) as refused:
            fed_ops.register_peer(PEER, "not a key", unit_name="江苏省", unit_code="320000", level="province",
                                  parent=None)
        assert set(refused.value.errors) == {"name", "public_key"}
        with pytest.raises(InvalidInput) as refused:
            tenancy_ops.add_membership(db.session.get(Account, someone), db.session.get(Unit, nation["unit"]),
                                       "leader")
        assert "联网接入" in refused.value.messages[0]
        db.session.rollback()


def test_an_unreachable_upstream_is_logged_and_shown_and_an_unconfigured_one_is_not_scheduled(app, downstream):
    from reporting.federation import operations as fed_ops
    from reporting.federation.jobs import push_rollups

    def unreachable(url, body, headers):
        raise ConnectionRefusedError(111, "Connection refused")

    answer = push(downstream, unreachable)
    assert answer["outcome"] == "failed" and answer["status"] is None and "refused" in answer["message"]

    # Scheduled where an upstream is configured, not elsewhere.
    assert push_rollups in [p.func for p in installed(downstream.app).periodic]
    assert push_rollups not in [p.func for p in installed(app).periodic]
    with app.app_context():
        with pytest.raises(fed_ops.NotConfigured):
            fed_ops.prepare_push()
        assert push_rollups() == {"outcome": "not_configured",
                                  "message": "not configured: QINGLIAN_UPSTREAM_URL, QINGLIAN_FEDERATION_ID, "
                                             "QINGLIAN_FEDERATION_KEY"}

    # The downstream's system admin sees the failure and the key to hand over.
    down_factory = Factory(downstream.app)
    down_factory.account("zj-sysadmin", platform_role="system")
    browser = Browser(downstream.app, down_factory)
    assert browser.login("zj-sysadmin").status_code == 302
    page = browser.get("/admin/federation").get_data(as_text=True)
    assert "发送失败" in page and "Connection refused" in page and "BEGIN PUBLIC KEY" in page
    assert "BEGIN PRIVATE KEY" not in page
    with downstream.app.test_request_context():
        from reporting.federation.views import status_panel

        latest = status_panel()["rows"][0]
        assert latest["bad"] and latest["cells"][3] == "发送失败" and "Connection refused" in latest["cells"][4]


def test_the_upstream_admin_page_lists_peers_with_their_last_push_and_refusals(app, factory, browser, downstream,
                                                                               nation):
    wire = Wire(app)
    assert push(downstream, wire)["outcome"] == "accepted"
    wire.post(*wire.sent[0])  # a replay
    factory.account("sysadmin", platform_role="system")
    browser.login("sysadmin")
    page = browser.get("/admin/federation").get_data(as_text=True)
    assert PEER in page and "浙江省（330000）" in page and "重复或过期的推送" in page and "replay" not in page
    with app.app_context():
        from reporting.federation.models import FederationPeer
        from reporting.federation.signing import fingerprint

        peer = db.session.scalar(db.select(FederationPeer).where(FederationPeer.name == PEER))
        assert str(peer.last_sequence) in page and fingerprint(downstream.public_key) in page
    with app.test_request_context():
        from reporting.federation.views import status_panel

        (row,) = status_panel()["rows"]
        assert row["bad"] and row["cells"][1] == "zhejiang（浙江省）" and "被拒绝 1 次，最近：重复或过期的推送" in row["cells"][4]
    # Others (here a unit's analyst) get nothing.
    analyst = Browser(app, factory)
    analyst.login("nation-analyst")
    assert analyst.get("/admin/federation").status_code == 404
    assert analyst.post("/admin/federation/push", form_page="/").status_code == 404


def test_no_directive_routing_or_supervision_item_reaches_the_federated_unit(app, factory, browser, nation):
    """It stands for another deployment: its figures come from there, its casework lives there."""
    leader = factory.account("nation-leader", [(nation["root"], "leader")])
    browser.login("nation-leader")
    form = browser.get(f"/u/{nation['root']}/supervision/new").get_data(as_text=True)
    assert "浙江省" not in form  # not offered as a recipient
    with app.app_context(), context.acting(context.maintenance_context(account_id=leader), db.session):
        from core.errors import InvalidInput
        from core.supervision import operations as supervision_ops
        from tenants.models import Unit, descendants_query

        root = db.session.get(Unit, nation["root"])
        federated = db.session.get(Unit, nation["unit"])
        assert federated.id not in {u.id for u in db.session.scalars(descendants_query(root))}
        with pytest.raises(InvalidInput) as refused:
            supervision_ops.issue_item(root, federated, kind="assigned", title="交办", due_on=date.today())
        assert "recipient_unit_id" in refused.value.errors
        db.session.rollback()
