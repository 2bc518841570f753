"""典型案例 · 指导案例: a province publishes clearing guidance cases for its subtree; a text holding a name of a person
in the unit's records is refused (nothing saved), ID-number and phone patterns warn; a case proposed by a township is
published only by the leader of the upper unit it was sent to; a township finds it by tag and by word (page and API);
a clearing case names it as 参照案例 and its page shows it; a unit outside the publisher's subtree gets 404; analysts
read no casebook; the figures move with the writes and the recount agrees."""
from __future__ import annotations

from sqlalchemy import func, select

from core import calendar, context
from core.extensions import db
from tests.conftest import Browser, bearer

CASE = {"title": "诬告陷害一线干部的澄清正名", "situation": "征地拆迁一线干部被捏造事实举报，经核查属诬告陷害。",
        "scope": "所在乡镇机关干部和相关村党员。", "method": "召开澄清正名会公开澄清，并对诬告行为依规处理。",
        "templates": ["澄清正名通知书", "澄清正名会主持词"],
        "narrative": "某镇干部负责征地拆迁，个别人员捏造事实多头反映。查明属诬告陷害后召开澄清正名会公开澄清。",
        "tags": ["澄清情形:诬告陷害", "澄清范围:一定范围内", "澄清方式:澄清正名会"]}


def _people(factory, tree) -> dict:
    return {"prov_leader": factory.account("cb-prov-leader", [(tree.province, "leader")]),
            "prov_officer": factory.account("cb-prov-officer", [(tree.province, "officer")]),
            "prov_analyst": factory.account("cb-prov-analyst", [(tree.province, "analyst")]),
            "city_leader": factory.account("cb-city-leader", [(tree.city, "leader")]),
            "county_leader": factory.account("cb-county-leader", [(tree.county, "leader")]),
            "town_leader": factory.account("cb-town-leader", [(tree.town, "leader")]),
            "town_officer": factory.account("cb-town-officer", [(tree.town, "officer")]),
            "west_reviewer": factory.account("cb-west-reviewer", [(tree.town2, "reviewer")]),
            "south_officer": factory.account("cb-south-officer", [(tree.other_town, "officer")])}


def _in_maintenance(app, fn):
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        result = fn()
        db.session.commit()
        return result


def _records_of_town(app, tree) -> dict:
    """东镇's records naming persons: a lead's person (keyed), a petition's accused (keyed), a clearing candidate
    (sealed, no key) screened into a clearing case (keyed), and a staff account named 周明亮."""
    from core.clearing import operations as clearing_ops
    from core.identity import operations as identity_ops
    from core.leads import operations as lead_ops
    from core.petitions import operations as petition_ops
    from tenants import operations as tenancy_ops
    from tenants.models import Unit

    def make():
        town = db.session.get(Unit, tree.town)
        today = calendar.today()
        lead = lead_ops.register_lead(town, dict(source="audit", received_on=today, summary="东镇线索",
                                                 persons=[{"name": "孙大圣", "level": "village"}]))
        petition_ops.register_petition(town, dict(channel="letter", received_on=today, anonymous=True,
                                                  accused_name="钱不露", summary="反映东镇某干部问题"))
        candidate = clearing_ops.record_candidate(town, {
            "reference": "东纪信〔2026〕1号", "concluded_on": today.isoformat(), "person_name": "赵受屈",
            "person_work_unit": "东镇", "accusation": "反映问题失实"})
        clearing_ops.record_candidate(town, {
            "reference": "东纪信〔2026〕2号", "concluded_on": today.isoformat(), "person_name": "李池塘",
            "person_work_unit": "东镇", "accusation": "反映问题失实"})
        case = clearing_ops.screen_candidate(candidate, accept=True)
        staff, _ = identity_ops.create_account("cb-zhou", "周明亮（东镇）", "Correct-Horse-42")
        tenancy_ops.add_membership(staff, town, "officer")
        return {"clearing_case_id": case.id, "lead_id": lead.id}

    return _in_maintenance(app, make)


def _count(app, model) -> int:
    return _in_maintenance(app, lambda: db.session.scalar(select(func.count(model.id))))


def _publish(app, tree, payload=None, unit=None, user="cb-prov-leader"):
    return app.test_client().post(f"/api/v1/u/{unit or tree.province}/casebook", headers=bearer(app, user),
                                  json=payload or CASE)


def _propose(app, tree, payload, user="cb-town-officer", publisher=None):
    return app.test_client().post(f"/api/v1/u/{tree.town}/casebook/proposals", headers=bearer(app, user),
                                  json={**payload, "publisher_id": publisher or tree.province})


def test_a_name_from_the_units_records_is_refused_and_nothing_saved(app, factory):
    from core.casebook.models import CaseProposal, GuidanceCase

    tree = factory.tree()
    _people(factory, tree)
    _records_of_town(app, tree)
    for name, field in (("孙大圣", "narrative"), ("钱不露", "situation"), ("赵受屈", "narrative"),
                        ("李池塘", "method"), ("周明亮", "narrative"), ("赵受屈", "title")):
        payload = {**CASE, field: CASE[field] + f"当事人{name}表示感谢。"}
        r = _propose(app, tree, payload)
        assert r.status_code == 422, (name, r.get_json())
        errors = r.get_json()["errors"]
        assert list(errors) == [field], errors
        assert f"“{name}”" in errors[field][0] and "含有本单位案件或人员中的人名" in errors[field][0]
    assert _count(app, CaseProposal) == 0
    # The same text with the name replaced is accepted.
    r = _propose(app, tree, {**CASE, "narrative": CASE["narrative"] + "当事人张某表示感谢。"})
    assert r.status_code == 201, r.get_json()
    assert _count(app, CaseProposal) == 1

    # The province's own records: its petition's accused refuses the province's case; nothing published.
    def petition_at_province():
        from core.petitions import operations as petition_ops
        from tenants.models import Unit

        petition_ops.register_petition(db.session.get(Unit, tree.province), dict(
            channel="web", received_on=calendar.today(), anonymous=True, accused_name="欧阳明", summary="反映问题"))

    _in_maintenance(app, petition_at_province)
    r = _publish(app, tree, {**CASE, "narrative": CASE["narrative"] + "欧阳明同志"})
    assert r.status_code == 422 and "narrative" in r.get_json()["errors"]
    assert _count(app, GuidanceCase) == 0
    # A name of another unit's records (东镇's) is no name of the province's: the check stays within the unit.
    assert _publish(app, tree, {**CASE, "narrative": CASE["narrative"] + "孙大圣"}).status_code == 201

    # The page refuses too, naming the field, and keeps what was typed.
    browser = Browser(app, factory)
    browser.login("cb-town-officer")
    page = browser.post(f"/u/{tree.town}/casebook/propose", {
        **{k: v for k, v in CASE.items() if k not in ("tags", "templates")}, "templates": "澄清正名通知书",
        "tags": CASE["tags"][0], "publisher_id": tree.province, "narrative": "经核查，孙大圣反映的问题失实。"})
    body = page.get_data(as_text=True)
    assert page.status_code == 422 and "案例正文含有本单位案件或人员中的人名“孙大圣”" in body
    assert _count(app, CaseProposal) == 1


def test_id_number_and_phone_patterns_warn(app, factory, browser):
    tree = factory.tree()
    _people(factory, tree)
    r = _publish(app, tree, {**CASE, "narrative": CASE["narrative"] + "身份证号110101199003071234，电话13912345678。",
                             "method": "联系电话 13800001111"})
    assert r.status_code == 201, r.get_json()
    warnings = r.get_json()["warnings"]
    assert any("身份证号码" in w for w in warnings["narrative"]) and any("手机号码" in w for w in warnings["narrative"])
    assert any("手机号码" in w for w in warnings["method"])
    browser.login("cb-prov-leader")
    page = browser.get(f"/u/{tree.province}/casebook/{r.get_json()['id']}").get_data(as_text=True)
    assert "data-warnings" in page and "疑似含有身份证号码" in page
    # Without the patterns: no warning. A 16-digit number or a landline is no ID number or mobile.
    r = _publish(app, tree, {**CASE, "narrative": CASE["narrative"] + "编号1234567890123456，电话0571-88881234。"})
    assert r.status_code == 201 and r.get_json()["warnings"] == {}


def test_a_proposal_is_published_only_by_the_leader_of_the_upper_unit_it_was_sent_to(app, factory):
    from core.casebook.models import GuidanceCase

    tree = factory.tree()
    _people(factory, tree)
    r = _propose(app, tree, {**CASE, "title": "东镇推荐：重复举报的澄清"})
    assert r.status_code == 201, r.get_json()
    proposal = r.get_json()
    assert proposal["state"] == "proposed" and proposal["publisher_id"] == tree.province
    client = app.test_client()
    for user, unit in (("cb-town-leader", tree.town), ("cb-county-leader", tree.county),
                       ("cb-prov-officer", tree.province), ("cb-city-leader", tree.city)):
        r = client.post(f"/api/v1/u/{unit}/casebook/proposals/{proposal['id']}/publish", headers=bearer(app, user),
                        json={})
        assert r.status_code == 404, (user, r.status_code)
    assert _count(app, GuidanceCase) == 0
    # A city, not chosen, sees nothing of it.
    r = client.get(f"/api/v1/u/{tree.city}/casebook/proposals", headers=bearer(app, "cb-city-leader"))
    assert r.status_code == 200 and r.get_json() == []
    # The province's leader sees it pending (page and inbox), edits the title and publishes.
    browser = Browser(app, factory)
    browser.login("cb-prov-leader")
    listing = browser.get(f"/u/{tree.province}/casebook").get_data(as_text=True)
    assert "待审核 1" in listing
    r = client.post(f"/api/v1/u/{tree.province}/casebook/proposals/{proposal['id']}/publish",
                    headers=bearer(app, "cb-prov-leader"), json={"title": "重复举报已有结论的澄清（东镇推荐）"})
    assert r.status_code == 201, r.get_json()
    case = r.get_json()
    assert case["title"] == "重复举报已有结论的澄清（东镇推荐）" and case["source_unit_name"] == "东镇"
    assert case["publisher_id"] == tree.province and case["narrative"] == CASE["narrative"]
    r = client.post(f"/api/v1/u/{tree.province}/casebook/proposals/{proposal['id']}/publish",
                    headers=bearer(app, "cb-prov-leader"), json={})
    assert r.status_code == 409
    mine = client.get(f"/api/v1/u/{tree.town}/casebook/proposals/{proposal['id']}",
                      headers=bearer(app, "cb-town-officer")).get_json()
    assert mine["state"] == "published" and mine["case_id"] == case["id"]

    # A second one is returned with a reason; its unit edits and sends it again.
    second = _propose(app, tree, {**CASE, "title": "东镇推荐二"}).get_json()
    r = client.post(f"/api/v1/u/{tree.province}/casebook/proposals/{second['id']}/return",
                    headers=bearer(app, "cb-prov-leader"), json={})
    assert r.status_code == 422 and "reason" in r.get_json()["errors"]
    r = client.post(f"/api/v1/u/{tree.province}/casebook/proposals/{second['id']}/return",
                    headers=bearer(app, "cb-prov-leader"), json={"reason": "请补充澄清后的回访情况"})
    assert r.status_code == 200 and r.get_json()["state"] == "returned"
    town = Browser(app, factory)
    town.login("cb-town-officer")
    page = town.get(f"/u/{tree.town}/casebook/proposals/{second['id']}").get_data(as_text=True)
    assert "请补充澄清后的回访情况" in page and 'data-step="resubmit"' in page
    r = town.post(f"/u/{tree.town}/casebook/proposals/{second['id']}/resubmit", {
        **{k: v for k, v in CASE.items() if k not in ("tags", "templates")}, "title": "东镇推荐二（补充回访）",
        "narrative": CASE["narrative"] + "会后开展回访。", "tags": CASE["tags"][0], "version": second["version"] + 1},
        form_page=f"/u/{tree.town}/casebook/proposals/{second['id']}")
    assert r.status_code == 302, r.get_data(as_text=True)[-800:]
    again = client.get(f"/api/v1/u/{tree.province}/casebook/proposals/{second['id']}",
                       headers=bearer(app, "cb-prov-leader")).get_json()
    assert again["state"] == "proposed" and again["title"] == "东镇推荐二（补充回访）"


def test_a_township_finds_a_case_by_tag_and_by_word(app, factory, browser):
    tree = factory.tree()
    _people(factory, tree)
    published = _publish(app, tree).get_json()
    _publish(app, tree, {**CASE, "title": "书面通知书澄清", "narrative": "向本人送达澄清通知书。",
                         "situation": "反映问题失实。", "tags": ["澄清方式:书面澄清通知书"]})
    browser.login("cb-town-officer")
    page = browser.get(f"/u/{tree.town}/casebook?tag=澄清方式:澄清正名会").get_data(as_text=True)
    assert "诬告陷害一线干部的澄清正名" in page and "书面通知书澄清" not in page
    page = browser.get(f"/u/{tree.town}/casebook?q=捏造事实").get_data(as_text=True)
    assert "诬告陷害一线干部的澄清正名" in page and "书面通知书澄清" not in page
    page = browser.get(f"/u/{tree.town}/casebook").get_data(as_text=True)
    assert 'data-tag="澄清方式:澄清正名会"' in page and "共 2 件" in page
    assert browser.get(f"/u/{tree.town}/casebook/{published['id']}").status_code == 200
    # The API across the account's units, and at the unit.
    h = bearer(app, "cb-town-officer")
    found = app.test_client().get("/api/v1/casebook?tag=澄清方式:澄清正名会", headers=h).get_json()
    assert [c["id"] for c in found["items"]] == [published["id"]] and found["items"][0]["seen_at"] == tree.town
    found = app.test_client().get(f"/api/v1/u/{tree.town}/casebook?q=通知书&family=澄清方式", headers=h).get_json()
    assert [c["title"] for c in found["items"]] == ["书面通知书澄清"]
    # Analysts hold no names and read no casebook: figures only.
    assert app.test_client().get(f"/api/v1/u/{tree.province}/casebook",
                                 headers=bearer(app, "cb-prov-analyst")).status_code == 404
    assert app.test_client().get("/api/v1/casebook", headers=bearer(app, "cb-prov-analyst")).get_json() == {
        "items": [], "total": 0}


def test_a_clearing_case_names_a_guidance_case_as_reference(app, factory, browser):
    tree = factory.tree()
    _people(factory, tree)
    ids = _records_of_town(app, tree)
    published = _publish(app, tree).get_json()
    browser.login("cb-town-officer")
    url = f"/u/{tree.town}/clearing/cases/{ids['clearing_case_id']}"
    page = browser.get(url)
    assert page.status_code == 200, page.status_code
    assert "data-casebook-references" in page.get_data(as_text=True) and "data-add-reference" in page.get_data(
        as_text=True)
    r = browser.post(f"/u/{tree.town}/casebook/references", {
        "record_type": "clearing_cases", "record_id": ids["clearing_case_id"], "case_id": published["id"]},
        form_page=url)
    assert r.status_code == 302 and r.location.endswith(url)
    page = browser.get(url).get_data(as_text=True)
    assert "诬告陷害一线干部的澄清正名" in page and f"/u/{tree.town}/casebook/{published['id']}" in page
    # A reviewer of another township cannot add one to 东镇's record.
    other = Browser(app, factory)
    other.login("cb-west-reviewer")
    r = other.post(f"/u/{tree.town2}/casebook/references", {
        "record_type": "clearing_cases", "record_id": ids["clearing_case_id"], "case_id": published["id"]})
    assert r.status_code == 404
    # Removed: gone from the page.
    from core.casebook.models import CaseReference

    ref_id = _in_maintenance(app, lambda: db.session.scalar(select(CaseReference.id)))
    r = browser.post(f"/u/{tree.town}/casebook/references/{ref_id}/remove", {}, form_page=url)
    assert r.status_code == 302
    page = browser.get(url).get_data(as_text=True)
    assert "data-reference=" not in page and "尚未引用参照案例" in page
    # A lead's page carries the panel too; linked from there, it shows there and not on the clearing case.
    lead_url = f"/u/{tree.town}/leads/{ids['lead_id']}"
    assert "data-casebook-references" in browser.get(lead_url).get_data(as_text=True)
    r = browser.post(f"/u/{tree.town}/casebook/references", {
        "record_type": "leads", "record_id": ids["lead_id"], "case_id": published["id"]}, form_page=lead_url)
    assert r.status_code == 302 and r.location.endswith(lead_url)
    assert f'/u/{tree.town}/casebook/{published["id"]}">测试省' in browser.get(lead_url).get_data(as_text=True)
    assert "data-reference=" not in browser.get(url).get_data(as_text=True)


def test_a_unit_outside_the_publishers_subtree_gets_404(app, factory, browser):
    tree = factory.tree()
    _people(factory, tree)
    city_case = _publish(app, tree, unit=tree.city, user="cb-city-leader").get_json()
    assert city_case["publisher_id"] == tree.city
    # 南镇 (乙市) does not see 甲市's case: page, API, search.
    browser.login("cb-south-officer")
    assert browser.get(f"/u/{tree.other_town}/casebook/{city_case['id']}").status_code == 404
    h = bearer(app, "cb-south-officer")
    assert app.test_client().get(f"/api/v1/u/{tree.other_town}/casebook/{city_case['id']}",
                                 headers=h).status_code == 404
    assert app.test_client().get("/api/v1/casebook", headers=h).get_json()["total"] == 0
    assert "诬告陷害一线干部" not in browser.get(f"/u/{tree.other_town}/casebook").get_data(as_text=True)
    # 东镇 (甲市's subtree) does; the province above it does not (a city's case is for its own subtree).
    town = Browser(app, factory)
    town.login("cb-town-officer")
    assert town.get(f"/u/{tree.town}/casebook/{city_case['id']}").status_code == 200
    assert app.test_client().get(f"/api/v1/u/{tree.province}/casebook/{city_case['id']}",
                                 headers=bearer(app, "cb-prov-leader")).status_code == 404
    # Withdrawn: the units below get 404.
    city = Browser(app, factory)
    city.login("cb-city-leader")
    r = city.post(f"/u/{tree.city}/casebook/{city_case['id']}/withdraw", {"reason": "内容需更新",
                                                                        "version": city_case["version"]},
                  form_page=f"/u/{tree.city}/casebook/{city_case['id']}")
    assert r.status_code == 302
    assert town.get(f"/u/{tree.town}/casebook/{city_case['id']}").status_code == 404
    # A township cannot publish.
    assert _publish(app, tree, unit=tree.town, user="cb-town-leader").status_code == 404


def test_figures_move_with_the_writes_and_the_recount_agrees(app, factory):
    from core.casebook import operations as ops
    from tenants.models import Unit, UnitStat

    tree = factory.tree()
    _people(factory, tree)
    _publish(app, tree)
    proposal = _propose(app, tree, CASE).get_json()
    app.test_client().post(f"/api/v1/u/{tree.province}/casebook/proposals/{proposal['id']}/publish",
                           headers=bearer(app, "cb-prov-leader"), json={})

    def check(unit_id):
        stored = {(s.metric, s.period): s.value for s in db.session.scalars(select(UnitStat).where(
            UnitStat.unit_id == unit_id, UnitStat.metric.like("casebook.%"))) if s.value}
        assert stored == ops.recount(db.session.get(Unit, unit_id), calendar.today())
        return {m: v for (m, p), v in stored.items() if p == ""}

    assert _in_maintenance(app, lambda: check(tree.province)) == {"casebook.published": 2}
    assert _in_maintenance(app, lambda: check(tree.town)) == {"casebook.proposed": 1}


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def test_the_template_files_travel_down_with_the_case(app, factory):
    import io

    tree = factory.tree()
    _people(factory, tree)
    case = _publish(app, tree).get_json()
    r = app.test_client().post(f"/api/v1/u/{tree.province}/attachments", headers=bearer(app, "cb-prov-leader"),
                               data={"record_type": "casebook_cases", "record_id": str(case["id"]),
                                     "file": (io.BytesIO(PDF), "澄清正名通知书.pdf")},
                               content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    town = Browser(app, factory)
    town.login("cb-town-officer")
    page = town.get(f"/u/{tree.town}/casebook/{case['id']}").get_data(as_text=True)
    assert "澄清正名通知书.pdf" in page
    file_id = int(page.split(f"/casebook/{case['id']}/files/")[1].split('"')[0])
    r = town.get(f"/u/{tree.town}/casebook/{case['id']}/files/{file_id}")
    assert r.status_code == 200 and r.get_data() == PDF
    # Only through a case that reaches the unit: 南镇 under 乙市 reaches the province's case too; a city's would not.
    south = Browser(app, factory)
    south.login("cb-south-officer")
    assert south.get(f"/u/{tree.other_town}/casebook/{case['id']}/files/{file_id}").status_code == 200
    city_case = _publish(app, tree, unit=tree.city, user="cb-city-leader").get_json()
    assert south.get(f"/u/{tree.other_town}/casebook/{city_case['id']}/files/{file_id}").status_code == 404
    assert town.get(f"/u/{tree.town}/casebook/{city_case['id']}/files/{file_id}").status_code == 404
