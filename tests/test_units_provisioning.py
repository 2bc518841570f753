"""Provisioning units: web, API, bulk import (dry run, all or nothing), move and archive."""
from __future__ import annotations

import io

from openpyxl import Workbook

from tests.conftest import bearer


def xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["区划代码", "名称", "级别", "上级代码"])
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def unit_codes(app):
    with app.app_context():
        from core.extensions import db
        from tenants.models import Unit

        return set(db.session.scalars(db.select(Unit.code)))


def test_import_with_bad_rows_reports_each_row_and_commits_nothing(app, browser, factory):
    factory.account("sys", platform_role="system")
    browser.login("sys")
    sheet = xlsx([
        ("970000", "丙省", "", ""),
        ("970100", "丙一市", "", ""),
        ("970101x", "坏代码县", "", ""),       # row 4: malformed code
        ("970121", "", "", ""),                # row 5: no name
        ("970121", "重复县", "", ""),          # row 6: duplicate code (and row 5)
        ("971121001", "孤儿镇", "", ""),       # row 7: parent 971121 neither in sheet nor provisioned
    ])
    response = browser.post("/admin/units/import", {"file": (io.BytesIO(sheet), "units.xlsx")},
                            form_page="/admin/units/import", content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert 'data-import-errors="4"' in page
    for row in ("<td>4</td>", "<td>5</td>", "<td>6</td>", "<td>7</td>"):
        assert row in page
    assert "名称为空" in page and "与第 5 行重复" in page and "找不到上级单位" in page
    assert 'name="ticket"' not in page  # no way to commit a sheet with errors
    assert not unit_codes(app) & {"970000", "970100"}

    anonymous = app.test_client().post("/api/v1/units/import", data={"file": (io.BytesIO(sheet), "units.xlsx")})
    assert anonymous.status_code == 401


def test_import_dry_run_then_commit_creates_the_tree(app, browser, factory):
    factory.account("sys", platform_role="system")
    browser.login("sys")
    rows = [("970000", "丙省", "省", ""), ("970100", "丙一市", "", ""), ("970121", "丙一县", "", ""),
            ("970121001", "一镇", "", ""), ("970121002000", "二镇", "乡镇", ""), ("970100P01", "派驻一组", "", "")]
    preview = browser.post("/admin/units/import", {"file": (io.BytesIO(xlsx(rows)), "units.xlsx")},
                           form_page="/admin/units/import", content_type="multipart/form-data")
    page = preview.get_data(as_text=True)
    assert "全部可以导入" in page
    assert not unit_codes(app) & {r[0] for r in rows}  # a dry run changes nothing
    ticket = page.split('name="ticket" value="')[1].split('"')[0]
    done = browser.post("/admin/units/import", {"ticket": ticket, "confirm": "1"}, form_page="/admin/units/import")
    assert done.status_code == 302
    assert {r[0] for r in rows} <= unit_codes(app)
    with app.app_context():
        from core.extensions import db
        from tenants.models import Unit

        town = db.session.scalar(db.select(Unit).where(Unit.code == "970121001"))
        county = db.session.scalar(db.select(Unit).where(Unit.code == "970121"))
        assert town.parent_id == county.id and town.path == f"{county.path}{town.id}."


def test_csv_import_through_the_api_in_gbk(app, factory):
    from pyotp import TOTP

    factory.account("sys", platform_role="system")
    headers = bearer(app, "sys", code=TOTP(factory.totp["sys"]).now())
    csv_bytes = "代码,名称\n960000,丁省\n960100,丁一市\n".encode("gb18030")
    client = app.test_client()
    dry = client.post("/api/v1/units/import?dry_run=1", data={"file": (io.BytesIO(csv_bytes), "u.csv")},
                      headers=headers)
    assert dry.status_code == 200 and dry.get_json()["error_count"] == 0 and not dry.get_json()["committed"]
    done = client.post("/api/v1/units/import", data={"file": (io.BytesIO(csv_bytes), "u.csv")}, headers=headers)
    assert done.get_json()["created"] == 2
    bad = client.post("/api/v1/units/import", data={"file": (io.BytesIO("代码,名称\n960200,\n".encode()), "u.csv")},
                      headers=headers)
    assert bad.status_code == 422 and bad.get_json()["rows"][0]["row"] == 2


def test_api_create_rename_move_archive(app, factory):
    from pyotp import TOTP

    tree = factory.tree()
    officer = factory.account("officer", [(tree.town, "officer")])
    factory.account("sys", platform_role="system")
    headers = bearer(app, "sys", code=TOTP(factory.totp["sys"]).now())
    client = app.test_client()
    bad = client.post("/api/v1/units", json={"name": "错", "level": "county", "code": "12", "parent_id": tree.city},
                      headers=headers)
    assert bad.status_code == 422 and "code" in bad.get_json()["errors"]
    created = client.post("/api/v1/units", json={"name": "新县", "level": "county", "code": "980188",
                                                 "parent_id": tree.city}, headers=headers)
    assert created.status_code == 201
    unit = created.get_json()
    renamed = client.patch(f"/api/v1/units/{unit['id']}", json={"name": "新县（更名）", "version": unit["version"]},
                           headers=headers)
    assert renamed.get_json()["name"] == "新县（更名）"
    stale = client.patch(f"/api/v1/units/{unit['id']}", json={"name": "再改", "version": unit["version"]},
                         headers=headers)
    assert stale.status_code == 409
    children = client.get(f"/api/v1/units/{tree.city}/children", headers=headers).get_json()
    assert "新县（更名）" in [c["name"] for c in children]
    # Archiving the township: its officer loses access, the records stay.
    archived = client.patch(f"/api/v1/units/{tree.town}", json={"archived": True}, headers=headers)
    assert archived.get_json()["archived"] is True
    member = app.test_client()
    member.post("/login", data={"username": "officer", "password": "Correct-Horse-42"})
    assert officer and member.get(f"/u/{tree.town}/").status_code in (302, 404)


def test_moving_a_subtree_moves_unit_and_record_paths(app, factory):
    tree = factory.tree()
    with app.app_context():
        from core import context
        from core.extensions import db
        from tenants.stats import subtree_sum as subtree_totals
        from tenants import operations as ops
        from tenants.models import Unit, UnitStat

        context.activate(context.maintenance_context(), db.session)
        ops.bump_stat(db.session.get(Unit, tree.town), "cases.open", 4)
        ops.bump_stat(db.session.get(Unit, tree.other_town), "cases.open", 1)
        county, other_city = db.session.get(Unit, tree.county), db.session.get(Unit, tree.other_city)
        assert subtree_totals(other_city, ["cases.open"]) == {"cases.open": 1}
        moved = ops.move_unit(county, other_city)
        db.session.commit()
        assert moved == 3  # the county and its two townships
        county, town = db.session.get(Unit, tree.county), db.session.get(Unit, tree.town)
        other_city = db.session.get(Unit, tree.other_city)
        assert county.parent_id == other_city.id
        assert town.path == f"{other_city.path}{county.id}.{town.id}."
        stat = db.session.scalar(db.select(UnitStat).where(UnitStat.unit_id == tree.town))
        assert stat.unit_path == town.path
        assert subtree_totals(other_city, ["cases.open"]) == {"cases.open": 5}
        assert subtree_totals(db.session.get(Unit, tree.city), ["cases.open"]) == {"cases.open": 0}
