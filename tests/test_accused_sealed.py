"""Issue 16 items 2 and 3 and the 转办 decision: registering guessed identifiers tells nothing about other units;
accused persons sealed at rest (raw rows hold no name) while exact search and repeat matching keep working;
existing rows are sealed by migration 0013; statement parameters never reach an error's text; a petition
routed down takes its informant with it and the origin keeps a tracking view without identity."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import Browser, bearer

PHONE, ID_NUMBER = "13812345678", "110101198001011234"
ACCUSED = {"accused_name": "欧阳被反", "accused_position": "村党支部书记", "accused_work_unit": "东镇红星村",
           "accused_level": "village"}
MATTER = {"summary": "反映欧阳被反在低保评定中优亲厚友", "content": "来信反映欧阳被反将其亲属违规纳入低保，要求核查处理。"}


@pytest.fixture
def world(app, factory):
    tree = factory.tree()
    for name, unit, role in (("east-intake", tree.town, "intake"), ("east-officer", tree.town, "officer"),
                             ("west-intake", tree.town2, "intake"), ("prov-intake", tree.province, "intake"),
                             ("county-intake", tree.county, "intake"), ("county-leader", tree.county, "leader")):
        factory.account(name, [(unit, role)])
    return tree


def _today():
    from core.calendar import today

    return today().isoformat()


def _register(app, username, unit_id, **fields):
    body = {"channel": "letter", "received_on": _today(), **ACCUSED, **MATTER, **fields}
    response = app.test_client().post(f"/api/v1/u/{unit_id}/petitions", headers=bearer(app, username), json=body)
    return response


def _links(app, username, unit_id, pid):
    return app.test_client().get(f"/api/v1/u/{unit_id}/petitions/{pid}/links", headers=bearer(app, username))


def _audit(owner_engine, action):
    with owner_engine.connect() as conn:
        return conn.execute(text("SELECT outcome FROM audit_events WHERE action = :a ORDER BY id"),
                            {"a": action}).scalars().all()


# ---------------------------------------------------------------- item 2: no oracle for an informant


def test_registering_guessed_identifiers_reveals_nothing_about_other_units(app, world, factory):
    tree = world
    victim = _register(app, "east-intake", tree.town, informant={"name": "真举报人", "phone": PHONE,
                                                                  "id_number": ID_NUMBER})
    assert victim.status_code == 201, victim.get_json()
    # Probes from the province and from the neighbouring township: a guessed phone or id number, anyone accused.
    for username, unit_id, informant, accused in (
            ("prov-intake", tree.province, {"name": "某", "phone": PHONE}, "张三"),
            ("west-intake", tree.town2, {"name": "某", "id_number": ID_NUMBER}, "李五"),
            ("west-intake", tree.town2, {"name": "某", "phone": "+86 138-1234-5678"}, "王六")):
        probe = _register(app, username, unit_id, informant=informant, accused_name=accused, accused_work_unit="",
                          summary="了解情况", content="")
        assert probe.status_code == 201, probe.get_json()
        pid = probe.get_json()["id"]
        links = _links(app, username, unit_id, pid)
        assert links.status_code == 200 and links.get_json() == []  # API: no link, no unit, no date, no channel
        browser = Browser(app, factory)
        browser.login(username)
        page = browser.get(f"/u/{unit_id}/petitions/{pid}").get_data(as_text=True)
        panel = page[page.index("data-links"):page.index("</section>", page.index("data-links"))]
        assert "同一举报人" not in page and "东镇" not in panel and "data-link=" not in panel
    # The holder of the petition is not told either (no "疑似重复件" task, no link on its side).
    assert _links(app, "east-intake", tree.town, victim.get_json()["id"]).get_json() == []
    east = Browser(app, factory)
    east.login("east-intake")
    assert "疑似重复件待确认" not in east.get(f"/u/{tree.town}/inbox").get_data(as_text=True)

    # Inside the unit that holds both, the same informant is still matched (by keyed hash) and named as such.
    again = _register(app, "east-intake", tree.town, informant={"name": "真举报人", "phone": PHONE},
                      accused_name="李四", accused_work_unit="东镇白云村", summary="反映李四侵占集体土地",
                      content="来电反映李四侵占集体土地建房。")
    (link,) = _links(app, "east-intake", tree.town, again.get_json()["id"]).get_json()
    assert link["same_informant"] and not link["same_accused"] and "同一举报人" in link["reasons"]


def test_a_cross_unit_link_rests_on_the_accused_and_the_matter_never_on_the_informant(app, world):
    tree = world
    first = _register(app, "east-intake", tree.town, informant={"name": "甲", "phone": PHONE}).get_json()["id"]
    # The same accused and matter at the county, by the same informant: linked, the informant's part untold.
    county = _register(app, "county-intake", tree.county, informant={"name": "甲", "phone": PHONE}).get_json()["id"]
    (link,) = _links(app, "county-intake", tree.county, county).get_json()
    assert link["other_unit_name"] == "东镇" and link["same_accused"] and not link["same_informant"]
    assert "同一举报人" not in link["reasons"]
    (back,) = _links(app, "east-intake", tree.town, first).get_json()
    assert back["other_unit_name"] == "甲县" and not back["same_informant"]
    # The same accused with another matter in another unit: no link (the accused alone is no oracle either).
    other = _register(app, "west-intake", tree.town2, summary="反映其他问题", content="请求调解邻里纠纷。",
                      informant={"name": "乙", "phone": "13900000000"}).get_json()["id"]
    assert _links(app, "west-intake", tree.town2, other).get_json() == []


def test_registrations_with_identifiers_only_are_audited_and_throttled(app, world, owner_engine):
    tree = world
    app.config["PETITION_IDENTIFIERS_ONLY_PER_HOUR"] = 2
    try:
        thin = {"informant": {"name": "某", "phone": PHONE}, "accused_name": "张三", "accused_work_unit": "",
                "summary": "了解情况", "content": ""}
        assert _register(app, "west-intake", tree.town2, **thin).status_code == 201
        assert _register(app, "west-intake", tree.town2, **thin).status_code == 201
        refused = _register(app, "west-intake", tree.town2, **thin)
        assert refused.status_code == 429 and "缺少反映内容" in refused.get_json()["message"]
        # A petition with a matter is never held back; nor another account.
        assert _register(app, "west-intake", tree.town2, informant={"name": "某", "phone": PHONE}).status_code == 201
        assert _register(app, "east-intake", tree.town, **thin).status_code == 201
    finally:
        app.config.pop("PETITION_IDENTIFIERS_ONLY_PER_HOUR")
    assert _audit(owner_engine, "petition.register_identifiers_only") == ["ok", "ok", "denied", "ok"]


# ---------------------------------------------------------------- item 3: accused persons sealed at rest


def _raw(owner_engine, sql):
    with owner_engine.connect() as conn:
        return json.dumps([list(map(str, row)) for row in conn.execute(text(sql))], ensure_ascii=False)


def test_a_raw_row_shows_no_plaintext_name_and_exact_search_and_matching_still_work(app, world, factory,
                                                                                       owner_engine):
    from core import context
    from core.clearing import operations as clearing_ops
    from core.clearing.models import ClearingCandidate
    from core.extensions import db

    tree = world
    pid = _register(app, "east-intake", tree.town, informant={"name": "甲", "phone": PHONE}).get_json()["id"]
    officer = bearer(app, "east-officer")
    client = app.test_client()
    base = f"/api/v1/u/{tree.town}/petitions/{pid}/transitions"
    assert client.post(base, headers=officer, json={"transition": "start"}).status_code == 200
    assert client.post(base, headers=officer, json={"transition": "conclude", "data": {
        "outcome": "unfounded", "findings": "经核查不属实"}}).status_code == 200
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        candidate = db.session.scalar(db.select(ClearingCandidate))
        case = clearing_ops.screen_candidate(candidate, accept=True)
        db.session.commit()
        case_number = case.number
    # The county's repeat of the matter links by keyed hashes of the sealed name and work unit.
    county = _register(app, "county-intake", tree.county, informant={"name": "乙"}).get_json()["id"]
    (link,) = _links(app, "county-intake", tree.county, county).get_json()
    assert link["same_accused"] and link["other_unit_name"] == "东镇"

    rows = (_raw(owner_engine, "SELECT accused_name, accused_position, accused_work_unit, accused_key, "
                               "accused_name_key FROM petitions")
            + _raw(owner_engine, "SELECT person_name, person_position, person_work_unit FROM clearing_candidates")
            + _raw(owner_engine, "SELECT person_name, person_position, person_work_unit, person_key, person_name_key "
                                 "FROM clearing_cases")
            + _raw(owner_engine, "SELECT title FROM inbox_items")
            + _raw(owner_engine, "SELECT title, subject_label FROM supervision_items"))
    for plain in ("欧阳", "被反", "村党支部书记", "红星村", "欧阳被反|东镇红星村"):
        assert plain not in rows, plain
    assert case_number in rows  # the inbox names the case by its number

    # The pages and the API read the name back; the exact name finds the record, a part of it does not.
    intake = bearer(app, "east-intake")
    assert client.get(f"/api/v1/u/{tree.town}/petitions/{pid}", headers=intake).get_json()["accused_name"] == "欧阳被反"
    found = client.get(f"/api/v1/u/{tree.town}/petitions?q=欧阳被反", headers=intake).get_json()
    assert found["total"] == 1 and found["items"][0]["accused_work_unit"] == "东镇红星村"
    assert client.get(f"/api/v1/u/{tree.town}/petitions?q= 欧阳被反 ", headers=intake).get_json()["total"] == 1
    assert client.get(f"/api/v1/u/{tree.town}/petitions?q=欧阳", headers=intake).get_json()["total"] == 0
    browser = Browser(app, factory)
    browser.login("east-officer")
    queue = browser.get(f"/u/{tree.town}/clearing?q=欧阳被反&kind=clearing").get_data(as_text=True)
    assert queue.count("data-case=") == 1 and "欧阳被反" in queue


def test_statement_parameters_never_reach_an_error(app):
    from sqlalchemy.exc import DBAPIError

    from core.extensions import db

    with app.app_context():
        with pytest.raises(DBAPIError) as exc:
            db.session.execute(text("SELECT * FROM no_such_table WHERE name = :name"), {"name": "欧阳被反"})
        db.session.rollback()
    assert "欧阳被反" not in str(exc.value) and "hide_parameters" in str(exc.value)


def test_migration_0013_seals_rows_written_in_plain_text(app, world, owner_engine):
    """A row as it stood before 0013 (plain name, plain key, a title naming the person) is sealed by the
    migration's data step with the app's keys, and reads back through the app."""
    from core import context
    from core.crypto import name_key, person_key
    from core.extensions import db
    from core.petitions.models import Petition

    tree = world
    pid = _register(app, "east-intake", tree.town, informant={"name": "甲"}).get_json()["id"]
    with owner_engine.begin() as conn:
        number = conn.execute(text("SELECT number FROM petitions WHERE id = :id"), {"id": pid}).scalar()
        conn.execute(text("UPDATE petitions SET accused_name = '欧阳被反', accused_position = '村党支部书记', "
                          "accused_work_unit = '东镇红星村', accused_key = 'x|y', accused_name_key = '' "
                          "WHERE id = :id"), {"id": pid})
        conn.execute(text("UPDATE inbox_items SET title = :t"), {"t": f"疑似重复件待确认：{number} 欧阳被反"})
    spec = importlib.util.spec_from_file_location(
        "m0013", Path(__file__).parents[1] / "migrations" / "versions" / "0013_accused_sealed.py")
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with app.app_context(), owner_engine.begin() as conn:
        named = migration._seal_rows(conn)
        migration._unname_labels(conn, named)
        assert migration._seal_rows(conn) == {t: {} for t in migration.SEALED}  # run twice: nothing left to seal
    assert "欧阳" not in _raw(owner_engine, "SELECT accused_name, accused_work_unit, accused_key FROM petitions")
    assert "欧阳" not in _raw(owner_engine, "SELECT title FROM inbox_items")
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        petition = db.session.get(Petition, pid)
        assert (petition.accused_name, petition.accused_work_unit) == ("欧阳被反", "东镇红星村")
        assert petition.accused_key == person_key("欧阳被反", "东镇红星村")
        assert petition.accused_name_key == name_key("欧阳被反")


# ---------------------------------------------------------------- decided: 转办 moves the informant down


def test_routing_moves_the_informant_to_the_handling_unit_and_the_origin_only_tracks(app, world, factory,
                                                                                      owner_engine):
    tree = world
    client = app.test_client()
    pid = _register(app, "county-intake", tree.county, informant={"name": "司马举报", "phone": PHONE}).get_json()["id"]
    routed = client.post(f"/api/v1/u/{tree.county}/petitions/{pid}/route", headers=bearer(app, "county-intake"),
                         json={"mode": "transfer", "to_unit_id": tree.town})
    assert routed.status_code == 200, routed.get_json()
    copy = routed.get_json()["routing"]["petition_id"]
    with owner_engine.connect() as conn:
        origin_row, copy_row = (conn.execute(text(
            "SELECT informant_name, informant_phone, informant_phone_key FROM petitions WHERE id = :id"),
            {"id": i}).one() for i in (pid, copy))
    assert origin_row == (None, None, None)  # no identity, and its matching key went with it
    assert copy_row[0] and copy_row[1]  # sealed again for the handling unit

    county = Browser(app, factory)
    county.login("county-leader")
    detail = f"/u/{tree.county}/petitions/{pid}"
    page = county.get(detail).get_data(as_text=True)
    assert "data-informant-moved" in page and "举报人信息已随件转交东镇" in page and "/reveal" not in page
    refused = county.post(f"{detail}/reveal", {"reason": "核对"}, form_page=detail)
    assert refused.status_code == 422 and "司马" not in refused.get_data(as_text=True)
    tracked = county.get(f"/u/{tree.county}/petitions/{copy}").get_data(as_text=True)
    assert "司马" not in tracked and "138****5678" not in tracked  # the tracking view has no identity

    town = Browser(app, factory)
    town.login("east-intake")
    town_detail = f"/u/{tree.town}/petitions/{copy}"
    revealed = town.post(f"{town_detail}/reveal", {"reason": "电话反馈办理结果"}, form_page=town_detail)
    assert revealed.status_code == 200 and "司马举报" in revealed.get_data(as_text=True)
