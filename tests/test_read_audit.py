"""Reads of records are audited (DESIGN §5: every access to a record): one ``<object type>.read`` entry per
record a GET opens — its page, its API answer, its document — with account, unit and object; none per row of a
list; a look through a share stays a share access, an informant reveal its own action, a refusal a denial."""
from __future__ import annotations

import pytest

from tests.conftest import bearer


@pytest.fixture
def world(app, factory):
    """西镇's records (tests.test_isolation_sweep): a petition, a cleared clearing case, a rectification order its
    county issued to it; 西镇's officer and intake, 东镇's officer, the county leader, the audit admin."""
    from core import context
    from core.extensions import db
    from tests.test_isolation_sweep import _victim_casework

    tree = factory.tree()
    factory.account("west-officer", [(tree.town2, "officer")])
    factory.account("west-intake", [(tree.town2, "intake")])
    factory.account("east-officer", [(tree.town, "officer")])
    factory.account("county-leader", [(tree.county, "leader")])
    factory.account("audit-admin", platform_role="audit")
    with app.app_context():
        context.activate(context.maintenance_context(), db.session)
        objects = _victim_casework(tree)
        db.session.commit()
    return tree, objects


def events(app, action=None, outcome=None):
    """(action, outcome, account, unit, object type, object id) of the audit trail, oldest first."""
    from core import context
    from core.audit.models import AuditEvent
    from core.extensions import db

    with app.app_context(), context.acting(context.ActingContext(platform_role="audit"), db.session):
        query = db.select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        if outcome:
            query = query.where(AuditEvent.outcome == outcome)
        return [(e.action, e.outcome, e.account_name, e.unit_id, e.object_type, e.object_id)
                for e in db.session.scalars(query)]


def reads(app):
    return [e for e in events(app, outcome="ok") if e[0].endswith(".read")]


def test_opening_a_petition_a_clearing_case_and_a_supervision_item_leaves_one_read_each(app, world, browser):
    tree, objects = world
    browser.login("west-officer")
    base = f"/u/{tree.town2}"
    assert reads(app) == []
    for path in (f"{base}/petitions/{objects['petition_id']}", f"{base}/clearing/cases/{objects['case_id']}",
                 f"{base}/supervision/{objects['item_id']}"):
        assert browser.get(path).status_code == 200, path
    # The item is the county's (its issuer); 西镇 reads it as its receiver: the entry names the unit that read.
    assert reads(app) == [
        ("petitions.read", "ok", "west-officer", tree.town2, "petitions", str(objects["petition_id"])),
        ("clearing_cases.read", "ok", "west-officer", tree.town2, "clearing_cases", str(objects["case_id"])),
        ("supervision_items.read", "ok", "west-officer", tree.town2, "supervision_items", str(objects["item_id"])),
    ]
    # Each opening is an entry; the case's 澄清通知书 is a read of the case too.
    assert browser.get(f"{base}/petitions/{objects['petition_id']}").status_code == 200
    notice = browser.get(f"{base}/clearing/cases/{objects['case_id']}/notice.docx")
    assert notice.status_code == 200 and notice.data[:2] == b"PK"
    assert [e[0] for e in reads(app)[3:]] == ["petitions.read", "clearing_cases.read"]


def test_a_list_page_of_twenty_petitions_leaves_no_entry_per_row(app, world, browser):
    from core import calendar, context
    from core.extensions import db
    from core.petitions import operations as petition_ops
    from tenants.models import Unit

    tree, _objects = world
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        town2 = db.session.get(Unit, tree.town2)
        for n in range(19):  # with the world's two: 21
            petition_ops.register_petition(town2, dict(channel="letter", received_on=calendar.today(),
                                                       anonymous=True, accused_name=f"列表{n}", summary="列表页",
                                                       category="西镇专用类别"))
        db.session.commit()
    browser.login("west-officer")
    page = browser.get(f"/u/{tree.town2}/petitions").get_data(as_text=True)
    assert all(f"列表{n}" in page for n in range(19))
    api = app.test_client().get(f"/api/v1/u/{tree.town2}/petitions?per_page=20", headers=bearer(app, "west-officer"))
    assert api.status_code == 200 and len(api.get_json()["items"]) == 20
    assert reads(app) == []


def test_a_foreign_record_is_404_with_a_denied_entry_and_no_read(app, world, browser):
    tree, objects = world
    browser.login("east-officer")
    pid = objects["petition_id"]
    for unit in (tree.town, tree.town2):
        assert browser.get(f"/u/{unit}/petitions/{pid}").status_code == 404
    assert ("petitions.read", "denied", "east-officer", tree.town, "petitions", str(pid)) in events(app)
    assert reads(app) == []


def test_a_record_refused_after_its_parent_was_opened_leaves_no_read_of_the_parent(app, world, browser):
    """The campaign loads, the backlog case does not: the request is a 404, and its noted read goes with it."""
    tree, objects = world
    browser.login("west-officer")
    base = f"/u/{tree.town2}/zeroing/{objects['campaign_id']}"
    assert browser.get(f"{base}/cases/{objects['backlog_case_id'] + 1000}").status_code == 404
    assert reads(app) == []
    assert [e[0] for e in events(app, outcome="denied")] == ["zeroing.read"]
    assert browser.get(f"{base}/cases/{objects['backlog_case_id']}").status_code == 200
    assert {(e[0], e[5]) for e in reads(app)} == {("directives.read", str(objects["campaign_id"])),
                                                   ("backlog_cases.read", str(objects["backlog_case_id"]))}


def test_an_api_get_of_one_record_is_audited_the_same(app, world):
    tree, objects = world
    client, headers = app.test_client(), bearer(app, "west-officer")
    base = f"/api/v1/u/{tree.town2}"
    for path in (f"{base}/petitions/{objects['petition_id']}", f"{base}/clearing-cases/{objects['case_id']}",
                 f"{base}/supervision-items/{objects['item_id']}"):
        assert client.get(path, headers=headers).status_code == 200, path
    assert reads(app) == [
        ("petitions.read", "ok", "west-officer", tree.town2, "petitions", str(objects["petition_id"])),
        ("clearing_cases.read", "ok", "west-officer", tree.town2, "clearing_cases", str(objects["case_id"])),
        ("supervision_items.read", "ok", "west-officer", tree.town2, "supervision_items", str(objects["item_id"])),
    ]


def test_a_read_through_a_share_is_one_share_access_and_no_read(app, world, browser):
    from core import context
    from core.extensions import db
    from tenants import operations as tenancy_ops
    from tenants.models import Unit

    tree, objects = world
    pid = objects["petition_id"]
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        tenancy_ops.grant_share("petitions", pid, db.session.get(Unit, tree.town2), purpose="supervision",
                                grantee_unit=db.session.get(Unit, tree.county))
        db.session.commit()
    browser.login("county-leader")
    assert browser.get(f"/u/{tree.county}/petitions/{pid}").status_code == 200
    assert events(app, "share.access") == [("share.access", "ok", "county-leader", tree.town2, "petitions", str(pid))]
    assert reads(app) == []


def test_an_informant_reveal_stays_its_own_action(app, world, browser):
    tree, objects = world
    browser.login("west-intake")
    detail = f"/u/{tree.town2}/petitions/{objects['petition_id']}"
    token = browser.csrf(detail)  # the page is opened once, for its form
    revealed = browser.post(f"{detail}/reveal", {"reason": "核实身份以便反馈", "csrf_token": token})
    assert revealed.status_code == 200 and "王秘密" in revealed.get_data(as_text=True)
    assert [e[0] for e in events(app) if e[2] == "west-intake" and e[0] != "login"] == \
        ["petitions.read", "petition.informant_reveal"]


def test_the_audit_viewer_names_the_reads(app, world, browser):
    tree, objects = world
    browser.login("west-officer")
    browser.get(f"/u/{tree.town2}/clearing/cases/{objects['case_id']}")
    browser.get(f"/u/{tree.town2}/supervision/{objects['item_id']}")
    browser.logout()
    browser.login("audit-admin")
    rows = browser.get("/admin/audit").get_data(as_text=True).split("<tbody>", 1)[1]
    assert "<td>查阅澄清正名案件</td>" in rows and f"<td>澄清正名案件 {objects['case_id']}</td>" in rows
    assert "<td>查阅督办件</td>" in rows and "<td>西镇（甲县）</td>" in rows
    rows = browser.get("/admin/audit?action=clearing_cases.read").get_data(as_text=True).split("<tbody>", 1)[1]
    assert rows.count("<tr ") == 1 and 'data-action="clearing_cases.read"' in rows
