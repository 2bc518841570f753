"""The pool puts first the people whose work the seed names (基层一线, 改革发展, 乡村振兴, 征地拆迁): the
petition records the accused's work areas, an unfounded conclusion hands them to the pool, and the officer can
correct them there."""
from __future__ import annotations

from tests.conftest import Browser, bearer


def _conclude_unfounded(app, tree, name, areas):
    client = app.test_client()
    base = f"/api/v1/u/{tree.town}/petitions"
    created = client.post(base, headers=bearer(app, "prio-intake"), json={
        "channel": "letter", "received_on": "2026-11-02", "anonymous": True, "accused_name": name,
        "accused_position": "村委会主任", "accused_work_unit": "东镇前村", "accused_work_areas": areas,
        "summary": "反映在征地拆迁补偿中优亲厚友"})
    assert created.status_code == 201, created.get_json()
    petition = created.get_json()
    assert sorted(petition["accused_work_areas"]) == sorted(areas)
    officer = bearer(app, "prio-officer")
    for name_, data in (("start", {}), ("conclude", {"outcome": "unfounded", "findings": "经核查，反映问题不属实"})):
        petition = client.post(f"{base}/{petition['id']}/transitions", headers=officer, json={
            "transition": name_, "data": data, "version": petition["version"]}).get_json()
    return petition


def test_a_petitions_work_areas_become_the_candidates_priority_and_the_officer_corrects_them(app, factory):
    tree = factory.tree()
    factory.account("prio-intake", [(tree.town, "intake")])
    factory.account("prio-officer", [(tree.town, "officer")])
    client = app.test_client()
    bad = client.post(f"/api/v1/u/{tree.town}/petitions", headers=bearer(app, "prio-intake"), json={
        "channel": "letter", "received_on": "2026-11-02", "anonymous": True, "accused_name": "某人",
        "accused_work_areas": ["space"], "summary": "反映问题"})
    assert bad.status_code == 422 and "基层一线" in bad.get_json()["errors"]["accused_work_areas"][0]

    _conclude_unfounded(app, tree, "孙普通", [])
    _conclude_unfounded(app, tree, "李拆迁", ["land", "frontline"])
    officer = bearer(app, "prio-officer")
    pool = client.get(f"/api/v1/u/{tree.town}/clearing-candidates", headers=officer).get_json()
    assert [c["person_name"] for c in pool] == ["李拆迁", "孙普通"]  # priority first
    assert sorted(pool[0]["priority_flags"]) == ["frontline", "land"] and pool[1]["priority_flags"] == []

    # The officer knows more than the petition did: 孙普通 works well and is well regarded.
    ordinary = pool[1]
    wrong = client.post(f"/api/v1/u/{tree.town}/clearing-candidates/{ordinary['id']}/priority", headers=officer,
                        json={"priority_flags": ["famous"], "version": ordinary["version"]})
    assert wrong.status_code == 422 and "优先情形" in str(wrong.get_json())
    page = Browser(app, factory)
    page.login("prio-officer")
    pool_page = page.get(f"/u/{tree.town}/clearing/pool").get_data(as_text=True)
    assert "修改优先情形" in pool_page
    saved = page.post(f"/u/{tree.town}/clearing/pool/{ordinary['id']}/flags",
                      {"priority_flags": ["good_record", "rural"], "version": str(ordinary["version"])},
                      form_page=f"/u/{tree.town}/clearing/pool")
    assert saved.status_code == 302
    pool = client.get(f"/api/v1/u/{tree.town}/clearing-candidates", headers=officer).get_json()
    assert sorted(next(c for c in pool if c["person_name"] == "孙普通")["priority_flags"]) == ["good_record", "rural"]
    # A stale form (the version moved) is refused, not applied over the newer flags.
    stale = client.post(f"/api/v1/u/{tree.town}/clearing-candidates/{ordinary['id']}/priority", headers=officer,
                        json={"priority_flags": [], "version": ordinary["version"]})
    assert stale.status_code == 409
    # The intake officer registers petitions but does not handle the pool.
    assert client.post(f"/api/v1/u/{tree.town}/clearing-candidates/{ordinary['id']}/priority",
                       headers=bearer(app, "prio-intake"), json={"priority_flags": []}).status_code == 404
