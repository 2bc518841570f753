"""操作日志 (issue 23): the audit admin's viewer shows each operation's module beside its action, object, outcome
and address, filters by module and address, and its xlsx carries the module; nothing of a record's content."""
from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.conftest import Browser


def test_the_operation_log_names_the_module_and_filters_by_it(app, factory):
    tree = factory.tree()
    factory.account("ol-town-officer", [(tree.town, "officer")])
    factory.account("ol-aud", platform_role="audit")
    factory.account("ol-sys", platform_role="system")
    officer = Browser(app, factory)
    officer.login("ol-town-officer")
    from core.villages import operations as village_ops
    from core import context
    from core.extensions import db
    from tenants.models import Unit

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        village_ops.add_village(db.session.get(Unit, tree.town), {"name": "叶庄村", "code": "980121001201",
                                                                "kind": "village"})
        db.session.commit()
    admin = Browser(app, factory)
    admin.login("ol-sys")
    admin.post("/admin/parameters", {"key": "EXPORT_KEEP_DAYS", "value": "9"}, form_page="/admin/parameters")

    auditor = Browser(app, factory)
    auditor.login("ol-aud")
    page = auditor.get("/admin/audit").get_data(as_text=True)
    assert "操作日志" in page and "<th>模块</th>" in page
    assert "清廉村居" in page and "登录与安全" in page
    villages_only = auditor.get("/admin/audit?module=villages").get_data(as_text=True)
    assert 'data-action="village.add"' in villages_only
    assert 'data-action="login"' not in villages_only and 'data-action="parameter.update"' not in villages_only
    security = auditor.get("/admin/audit?module=security").get_data(as_text=True)
    assert 'data-action="parameter.update"' in security and 'data-action="login"' in security
    assert 'data-action="village' not in security
    sheet = load_workbook(io.BytesIO(auditor.get("/admin/audit?format=xlsx&module=security").data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][3] == "模块" and rows[1:] and {r[3] for r in rows[1:]} == {"登录与安全"}


def test_a_page_number_beyond_any_list_is_the_first_page_not_an_error(app, factory):
    tree = factory.tree()
    factory.account("ol-aud2", platform_role="audit")
    factory.account("ol-town-leader", [(tree.town, "leader")])
    auditor = Browser(app, factory)
    auditor.login("ol-aud2")
    huge = "99999999999999999999"
    for path in (f"/admin/audit?page={huge}", f"/admin/logins?page={huge}"):
        assert auditor.get(path).status_code == 200, path
    leader = Browser(app, factory)
    leader.login("ol-town-leader")
    for path in (f"/u/{tree.town}/reception?page={huge}", f"/u/{tree.town}/casebook?page={huge}"):
        assert leader.get(path).status_code == 200, path


def test_the_log_names_a_changed_parameter_without_its_code(app, factory):
    factory.account("ol-sys2", platform_role="system")
    factory.account("ol-aud3", platform_role="audit")
    admin = Browser(app, factory)
    admin.login("ol-sys2")
    admin.post("/admin/parameters", {"key": "EXPORT_KEEP_DAYS", "value": "9"}, form_page="/admin/parameters")
    auditor = Browser(app, factory)
    auditor.login("ol-aud3")
    page = auditor.get("/admin/audit?module=security").get_data(as_text=True)
    assert "修改系统参数" in page and "原值：7" in page and "新值：9" in page
    assert "EXPORT_KEEP_DAYS" not in page and "system_parameter" not in page
