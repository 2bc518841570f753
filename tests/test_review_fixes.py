"""Security review of issue 16 (follow-up): a routed-away informant cannot be confirmed at the origin; the
一人四访 visit and the rectification answers and checks leave audit entries; the audit export reads like the
viewer (no record number, no person's name, no JSON); summaries never carry the accused's name."""
from __future__ import annotations

import io
import json
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from tests.conftest import Browser, bearer

PHONE = "13712345678"
ACCUSED = {"accused_name": "欧阳被反", "accused_position": "村党支部书记", "accused_work_unit": "甲县某局",
           "accused_level": "county"}


@pytest.fixture
def world(app, factory):
    tree = factory.tree()
    for name, unit, role in (("county-officer", tree.county, "officer"), ("county-leader", tree.county, "leader"),
                             ("east-officer", tree.town, "officer"), ("east-leader", tree.town, "leader")):
        factory.account(name, [(unit, role)])
    factory.account("auditadmin", platform_role="audit")
    return tree


def _today() -> str:
    from core.calendar import today

    return today().isoformat()


def _register(app, username, unit_id, **fields) -> dict:
    body = {"channel": "letter", "received_on": _today(), **ACCUSED,
            "summary": "反映在农村公路招标中收受好处费", "content": "来信反映其在农村公路招标中指定中标单位。", **fields}
    response = app.test_client().post(f"/api/v1/u/{unit_id}/petitions", headers=bearer(app, username), json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _audit_rows(owner_engine, action):
    with owner_engine.connect() as conn:
        return conn.execute(text("SELECT account_name, unit_id, object_type, object_id, detail FROM audit_events "
                                 "WHERE action = :a ORDER BY id"), {"a": action}).all()


# ---------------------------------------------------------------- 1. the identity moves with its keys


def test_the_origin_cannot_confirm_a_routed_away_informant(app, world, owner_engine):
    tree = world
    client = app.test_client()
    first = _register(app, "county-officer", tree.county, informant={"name": "司马举报", "phone": PHONE})
    routed = client.post(f"/api/v1/u/{tree.county}/petitions/{first['id']}/route",
                         headers=bearer(app, "county-leader"), json={"mode": "transfer", "to_unit_id": tree.town})
    assert routed.status_code == 200, routed.get_json()
    with owner_engine.connect() as conn:
        keys = conn.execute(text("SELECT informant_phone_key, informant_id_key FROM petitions WHERE id = :id"),
                            {"id": first["id"]}).one()
    assert keys == (None, None)  # the keys went with the identity

    # The county registers the phone again (another matter, another accused): nothing about its routed-away record.
    probe = _register(app, "county-officer", tree.county, informant={"name": "某人", "phone": PHONE},
                      accused_name="张另", accused_work_unit="甲县另局", summary="反映其他问题",
                      content="其他内容，与原件无关的一封来信。")
    links = client.get(f"/api/v1/u/{tree.county}/petitions/{probe['id']}/links",
                       headers=bearer(app, "county-officer")).get_json()
    assert links == []

    # The township that now holds the identity does match it.
    again = _register(app, "east-officer", tree.town, informant={"name": "某人", "phone": PHONE},
                      accused_name="张另", accused_work_unit="东镇另村", summary="反映其他问题",
                      content="其他内容，与原件无关的一封来信。")
    town_links = client.get(f"/api/v1/u/{tree.town}/petitions/{again['id']}/links",
                            headers=bearer(app, "east-officer")).get_json()
    assert [(link["other_unit_name"], link["same_informant"]) for link in town_links] == [("东镇", True)]


def test_a_row_routed_before_the_keys_moved_never_matches_an_informant(app, world, owner_engine):
    """Rows routed under the old rule still hold their keys: matching skips any record without its identity."""
    tree = world
    client = app.test_client()
    first = _register(app, "county-officer", tree.county, informant={"name": "司马举报", "phone": PHONE})
    assert client.post(f"/api/v1/u/{tree.county}/petitions/{first['id']}/route", headers=bearer(app, "county-leader"),
                       json={"mode": "assign", "to_unit_id": tree.town}).status_code == 200
    with owner_engine.begin() as conn:  # as the old code left it
        conn.execute(text("UPDATE petitions SET informant_phone_key = (SELECT informant_phone_key FROM petitions p2 "
                          "WHERE p2.origin_petition_id = :id) WHERE id = :id"), {"id": first["id"]})
    probe = _register(app, "county-officer", tree.county, informant={"name": "某人", "phone": PHONE},
                      accused_name="张另", accused_work_unit="甲县另局", summary="反映其他问题",
                      content="其他内容，与原件无关的一封来信。")
    assert client.get(f"/api/v1/u/{tree.county}/petitions/{probe['id']}/links",
                      headers=bearer(app, "county-officer")).get_json() == []


# ---------------------------------------------------------------- 2. writes that left no audit entry


def test_a_follow_up_visit_is_audited_without_what_was_found(app, world, owner_engine):
    from core import context
    from core.clearing import operations as clearing_ops
    from core.clearing.models import ClearingVisit
    from core.extensions import db
    from tenants.models import Unit

    tree = world
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        town = db.session.get(Unit, tree.town)
        case = clearing_ops.register_application(town, {
            "person_name": "吴澄清", "person_work_unit": "东镇某村", "accusation": "反映违规发放补偿款",
            "request": "请求澄清", "applied_on": _today()})
        visit = ClearingVisit(unit_id=town.id, unit_path=town.path, case_id=case.id, kind="family",
                              due_on=date.today())
        db.session.add(visit)
        db.session.commit()
        visit_id = visit.id
    response = app.test_client().post(f"/api/v1/u/{tree.town}/clearing-visits/{visit_id}",
                                      headers=bearer(app, "east-officer"), json={
        "visited_on": _today(), "visitors": "镇纪委 王、陈", "mental_state": "放下包袱",
        "work_performance": "积极", "family_situation": "配偶身体欠佳"})
    assert response.status_code == 200, response.get_json()
    rows = _audit_rows(owner_engine, "clearing.visit_record")
    assert [row[:4] for row in rows] == [("east-officer", tree.town, "clearing_visits", str(visit_id))]
    assert "配偶" not in rows[0][4] and "吴澄清" not in rows[0][4]


def test_rectification_answers_and_checks_are_audited(app, world, factory, owner_engine):
    tree = world
    client = app.test_client()
    item = client.post(f"/api/v1/u/{tree.county}/supervision-items", headers=bearer(app, "county-leader"), json={
        "kind": "rectification", "recipient_unit_id": tree.town, "title": "澄清正名工作检查", "due_on": _today(),
        "problems": [{"description": "回访记录不全"}]}).get_json()
    town, county = Browser(app, factory), Browser(app, factory)
    town.login("east-officer")
    county.login("county-leader")
    detail = f"/u/{tree.town}/supervision/{item['id']}"
    problem = item["problems"][0]["id"]
    assert town.post(f"{detail}/problems/{problem}/answer", {"answer": "已补齐"}, form_page=detail).status_code == 302
    assert client.post(f"/api/v1/u/{tree.town}/supervision-items/{item['id']}/steps",
                       headers=bearer(app, "east-officer"), json={"step": "done", "body": "已整改"}).status_code == 200
    county_detail = f"/u/{tree.county}/supervision/{item['id']}"
    assert county.post(f"{county_detail}/problems/{problem}/check", {"checked": "1"},
                       form_page=county_detail).status_code == 302
    assert [r[:4] for r in _audit_rows(owner_engine, "supervision.problem_answer")] == [
        ("east-officer", tree.town, "supervision_problems", str(problem))]
    assert [r[:4] for r in _audit_rows(owner_engine, "supervision.problem_check")] == [
        ("county-leader", tree.county, "supervision_problems", str(problem))]
    assert all("回访记录" not in r[4] and "已补齐" not in r[4]
               for action in ("supervision.problem_answer", "supervision.problem_check")
               for r in _audit_rows(owner_engine, action))


# ---------------------------------------------------------------- 3. the export reads like the viewer


def test_the_audit_export_carries_no_record_number_name_or_json(app, world, factory, owner_engine):
    tree = world
    client = app.test_client()
    petition = _register(app, "county-officer", tree.county, informant={"name": "司马举报", "phone": PHONE})
    routed = client.post(f"/api/v1/u/{tree.county}/petitions/{petition['id']}/route",
                         headers=bearer(app, "county-leader"), json={"mode": "transfer", "to_unit_id": tree.town})
    assert routed.status_code == 200
    numbers = [petition["number"], routed.get_json()["routing"]["number"]]
    with owner_engine.connect() as conn:  # the trail holds them (the chain's input), the file must not
        stored = " ".join(conn.execute(text("SELECT detail FROM audit_events WHERE detail IS NOT NULL")).scalars())
    assert all(n in stored for n in numbers)

    admin = Browser(app, factory)
    assert admin.login("auditadmin").status_code == 302
    export = admin.get("/admin/audit?format=xlsx")
    assert export.status_code == 200
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[-3:] == ("链", "序号", "哈希") and len(body) > 5
    cells = [str(v) for row in body for v in row if v is not None]
    dump = "\n".join(cells)
    for secret in (*numbers, "欧阳被反", "司马举报", PHONE):
        assert secret not in dump, secret
    assert not any(re.match(r"^\s*[\[{]", cell) for cell in cells)  # no raw JSON
    assert "登记信访举报" in dump and "甲县" in dump and "成功" in dump  # words, unit names, outcomes
    assert all(row[-2] and re.fullmatch(r"[0-9a-f]{64}", row[-1]) for row in body)


# ---------------------------------------------------------------- 4. no accused name in a summary


def test_a_summary_naming_the_accused_is_stored_without_the_name(app, world, factory, owner_engine):
    tree = world
    created = _register(app, "east-officer", tree.town, accused_work_unit="东镇红星村", accused_level="village",
                        summary="反映欧阳被反在低保评定中优亲厚友", content="来信反映欧阳被反将其亲属违规纳入低保。",
                        anonymous=True)
    with owner_engine.connect() as conn:
        summary, content = conn.execute(text("SELECT summary, content FROM petitions WHERE id = :id"),
                                        {"id": created["id"]}).one()
    assert summary == "反映被反映人在低保评定中优亲厚友"
    assert content == "来信反映欧阳被反将其亲属违规纳入低保。"  # the letter as received, on the detail page only

    town = Browser(app, factory)
    town.login("east-officer")
    listing = town.get(f"/u/{tree.town}/petitions").get_data(as_text=True)
    row = re.search(r"<tr data-petition=.*?</tr>", listing, re.S).group(0)
    cells = re.findall(r"<td>(.*?)</td>", row, re.S)
    assert "被反映人在低保" in row and not any("欧阳被反" in c for c in cells if "低保" in c)
    listed = app.test_client().get(f"/api/v1/u/{tree.town}/petitions", headers=bearer(app, "east-officer"))
    item = listed.get_json()["items"][0]
    assert "欧阳被反" not in item["summary"] and "欧阳被反" not in item["content_excerpt"]


def test_the_demo_backlog_summaries_name_no_one():
    from core.zeroing import demo

    assert all("{name}" not in summary for _category, summary in demo.MATTERS)
    assert json.dumps(demo.MATTERS, ensure_ascii=False).count("反映村党支部书记") == len(demo.MATTERS)
