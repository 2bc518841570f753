"""数据字典 (issue 23): the system admin relabels, reorders, deactivates and adds the entries of the drop-down lists;
the pages follow on their next view, records keep their codes, a shipped code is never removed and an added one
only while unused; every change audited; the other admins and every unit role get 404."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from core import context
from core.extensions import db
from tests.conftest import Browser

PAGE = "/admin/dictionaries/petition_channels"


def petition_form(**overrides):
    from core.calendar import today

    return {"channel": "letter", "received_on": today().isoformat(), "category": "违反廉洁纪律",
            "accused_name": "字典甲", "accused_position": "村委会主任", "accused_work_unit": "东镇东村",
            "summary": "反映违规收受礼金", "content": "详见来信。", "anonymous": "1", **overrides}


@pytest.fixture
def world(app, factory):
    tree = factory.tree()
    factory.account("dict-sys", platform_role="system")
    factory.account("dict-intake", [(tree.town, "intake")])
    return tree


def signed_in(app, factory, username):
    browser = Browser(app, factory)
    browser.login(username)
    return browser


def register(browser, tree, **overrides):
    with browser.client.application.app_context():
        form = petition_form(**overrides)
    response = browser.post(f"/u/{tree.town}/petitions/new", form)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.location.rstrip("/").rsplit("/", 1)[1])


def change(admin, data, page=PAGE):
    return admin.post(page, data, form_page=page)


def events(app, action):
    from core.audit.models import AuditEvent

    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        return [json.loads(e.detail or "{}")
                for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == action))]


def channel_options(page: str) -> dict[str, str]:
    select_html = re.search(r'<select name="channel">(.*?)</select>', page, re.S).group(1)
    return dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select_html))


def test_a_relabelled_channel_shows_on_the_next_petition_page_and_the_record_keeps_its_code(app, factory, world):
    from core.petitions.models import Petition

    intake = signed_in(app, factory, "dict-intake")
    pid = register(intake, world, channel="letter")
    admin = signed_in(app, factory, "dict-sys")
    listing = admin.get("/admin/dictionaries").get_data(as_text=True)
    for name in ("petition_channels", "accused_levels", "problem_categories", "lead_sources", "lead_dispositions",
                 "meeting_categories", "village_criteria", "clearing_methods"):
        assert f'data-dictionary="{name}"' in listing, name
    assert "/admin/dictionaries" in admin.get("/admin/").get_data(as_text=True)  # the menu link

    response = change(admin, {"op": "relabel", "code": "letter", "label_zh": "群众来信", "label_en": "Letter"})
    assert response.status_code == 302

    detail = intake.get(f"/u/{world.town}/petitions/{pid}").get_data(as_text=True)
    assert "群众来信" in detail
    options = channel_options(intake.get(f"/u/{world.town}/petitions/new").get_data(as_text=True))
    assert options["letter"] == "群众来信" and "来信" not in options.values()
    with app.app_context(), context.acting(context.maintenance_context(), db.session):
        assert db.session.get(Petition, pid).channel == "letter"
    (detail_event,) = events(app, "dictionary.relabel")
    assert detail_event["code"] == "letter" and detail_event["from"]["zh"] == "来信"
    assert detail_event["to"] == {"zh": "群众来信", "en": "Letter"}

    # Reordered: the drop-down follows.
    assert change(admin, {"op": "up", "code": "web"}).status_code == 302
    options = list(channel_options(intake.get(f"/u/{world.town}/petitions/new").get_data(as_text=True)))
    assert options == ["letter", "visit", "web", "phone"]
    assert events(app, "dictionary.reorder")[0]["to"] == options
    # The English label, for a reader who chose English.
    assert "<td>Letter</td>" in intake.get(f"/u/{world.town}/petitions/{pid}?lang=en").get_data(as_text=True)


def test_bad_input_is_refused_with_a_reason_and_nothing_saved(app, factory, world):
    admin = signed_in(app, factory, "dict-sys")
    for data, reason in (({"op": "relabel", "code": "visit", "label_zh": "  "}, "请填写中文名称"),
                         ({"op": "relabel", "code": "visit", "label_zh": "来电"}, "名称“来电”已在本字典中使用"),
                         ({"op": "add", "code": "letter", "label_zh": "另一种来信"}, "代码“letter”已存在"),
                         ({"op": "add", "code": "热线", "label_zh": "热线"}, "代码须以小写字母开头"),
                         ({"op": "add", "code": "hotline", "label_zh": ""}, "请填写中文名称"),
                         ({"op": "remove", "code": "letter"}, "系统内置条目，业务流程依赖它，不能删除")):
        refused = change(admin, data)
        assert refused.status_code == 422 and reason in refused.get_data(as_text=True), data
    refused = change(admin, {"op": "add", "code": "x"}, page="/admin/dictionaries/lead_dispositions")
    assert refused.status_code == 422 and "不能增加" in refused.get_data(as_text=True)
    refused = change(admin, {"op": "deactivate", "code": "talk"}, page="/admin/dictionaries/lead_dispositions")
    assert refused.status_code == 422 and "不能停用" in refused.get_data(as_text=True)
    assert admin.get("/admin/dictionaries/no_such_list").status_code == 404
    for action in ("relabel", "add", "remove", "deactivate"):
        assert events(app, f"dictionary.{action}") == [], action
    page = admin.get(PAGE).get_data(as_text=True)
    assert 'data-entry="hotline"' not in page and 'value="来信"' in page


def test_an_added_entry_is_removable_while_unused_and_kept_once_a_record_carries_it(app, factory, world):
    admin = signed_in(app, factory, "dict-sys")
    intake = signed_in(app, factory, "dict-intake")
    assert change(admin, {"op": "add", "code": "hotline", "label_zh": "12388热线", "label_en": "Hotline"}
                  ).status_code == 302
    assert channel_options(intake.get(f"/u/{world.town}/petitions/new").get_data(as_text=True))["hotline"] == "12388热线"
    assert change(admin, {"op": "remove", "code": "hotline"}).status_code == 302
    assert "hotline" not in channel_options(intake.get(f"/u/{world.town}/petitions/new").get_data(as_text=True))
    assert [e["from"]["zh"] for e in events(app, "dictionary.remove")] == ["12388热线"]

    assert change(admin, {"op": "add", "code": "hotline", "label_zh": "12388热线"}).status_code == 302
    pid = register(intake, world, channel="hotline")
    assert "12388热线" in intake.get(f"/u/{world.town}/petitions/{pid}").get_data(as_text=True)
    refused = change(admin, {"op": "remove", "code": "hotline"})
    assert refused.status_code == 422 and "已被记录使用，不能删除" in refused.get_data(as_text=True)
    assert 'data-entry="hotline"' in admin.get(PAGE).get_data(as_text=True)
    assert len(events(app, "dictionary.add")) == 2 and len(events(app, "dictionary.remove")) == 1


def test_a_deactivated_entry_leaves_new_forms_but_records_still_show_its_label(app, factory, world):
    intake = signed_in(app, factory, "dict-intake")
    pid = register(intake, world, channel="phone", accused_level="county")
    admin = signed_in(app, factory, "dict-sys")
    assert change(admin, {"op": "deactivate", "code": "phone"}).status_code == 302
    assert change(admin, {"op": "deactivate", "code": "county"},
                  page="/admin/dictionaries/accused_levels").status_code == 302
    form = intake.get(f"/u/{world.town}/petitions/new").get_data(as_text=True)
    assert "phone" not in channel_options(form) and 'value="county"' not in form
    detail = intake.get(f"/u/{world.town}/petitions/{pid}").get_data(as_text=True)
    assert "来电" in detail and "县处级" in detail
    (event, _level) = events(app, "dictionary.deactivate")
    assert event["code"] == "phone" and event["from"] is True and event["to"] is False
    assert 'data-entry="phone" data-active="no"' in admin.get(PAGE).get_data(as_text=True)

    assert change(admin, {"op": "activate", "code": "phone"}).status_code == 302
    assert "phone" in channel_options(intake.get(f"/u/{world.town}/petitions/new").get_data(as_text=True))
    assert len(events(app, "dictionary.activate")) == 1


def test_the_areas_read_their_lists_through_the_accessor(app, factory, world):
    """Lead sources and the four ways, clearing methods, meeting categories and village criteria follow a relabel."""
    from core import dictionaries
    from core.clearing.models import METHOD_LABELS
    from core.leads.models import SOURCE_LABELS
    from core.leads.workflow import LEAD_FLOW
    from core.meetings import queries as meeting_queries
    from core.villages import operations as village_ops
    from tenants.models import Unit

    admin = signed_in(app, factory, "dict-sys")
    for name, code, label in (("lead_sources", "audit", "审计机关移送"), ("lead_dispositions", "talk", "谈话或函询"),
                              ("clearing_methods", "media", "新闻媒体澄清"),
                              ("meeting_categories", "road", "道路交通安全"), ("village_criteria", "assets", "村级三资")):
        assert change(admin, {"op": "relabel", "code": code, "label_zh": label},
                      page=f"/admin/dictionaries/{name}").status_code == 302, name
    assert change(admin, {"op": "deactivate", "code": "other"},
                  page="/admin/dictionaries/meeting_categories").status_code == 302
    with app.test_request_context(), context.acting(context.maintenance_context(), db.session):
        assert SOURCE_LABELS["audit"] == "审计机关移送" and LEAD_FLOW.step_label("talk") == "谈话或函询"
        assert METHOD_LABELS["media"] == "新闻媒体澄清" and dictionaries.label("clearing_methods", "notice") == "书面澄清通知书"
        county = db.session.get(Unit, world.county)
        names = [c.name for c in meeting_queries.categories_of(county)]
        assert "道路交通安全" in names and "其他" not in names
        criteria = village_ops.default_criteria()
        assert [c["name"] for c in criteria][1] == "村级三资" and sum(c["weight"] for c in criteria) == 100


def test_another_process_reads_a_change_within_seconds(app, factory, world, monkeypatch):
    from core import dictionaries

    with app.test_request_context(), context.acting(context.maintenance_context(), db.session):
        assert dictionaries.label("petition_channels", "visit") == "来访"
    admin = signed_in(app, factory, "dict-sys")
    assert change(admin, {"op": "relabel", "code": "visit", "label_zh": "群众来访"}).status_code == 302
    # This process cleared its cache when it wrote; another keeps its copy up to CACHE_SECONDS.
    cached = {"rows": {}, "entries": {}}
    with app.test_request_context(), context.acting(context.maintenance_context(), db.session):
        dictionaries._cache.update(rows=cached["rows"], entries=cached["entries"], app=app,
                                   at=__import__("time").monotonic())
        assert dictionaries.label("petition_channels", "visit") == "来访"
        monkeypatch.setattr(dictionaries, "CACHE_SECONDS", 0)
        assert dictionaries.label("petition_channels", "visit") == "群众来访"


ROLES = ["leader", "officer", "intake", "reviewer", "case_admin", "analyst", "unit_admin"]


def test_only_the_system_admin_reaches_the_pages_and_they_show_no_case_data(app, factory, world):
    factory.account("dict-sec", platform_role="security")
    factory.account("dict-aud", platform_role="audit")
    for role in ROLES:
        factory.account(f"dr-{role}", [(world.town, role)])
    intake = signed_in(app, factory, "dict-intake")
    register(intake, world, channel="letter")
    for username in ("dict-sec", "dict-aud", *[f"dr-{role}" for role in ROLES]):
        browser = signed_in(app, factory, username)
        assert browser.get("/admin/dictionaries").status_code == 404, username
        assert browser.get(PAGE).status_code == 404, username
        refused = browser.post(PAGE, {"op": "relabel", "code": "letter", "label_zh": "改"}, form_page="/")
        assert refused.status_code == 404, username
        assert "/admin/dictionaries" not in browser.get("/", follow_redirects=True).get_data(as_text=True), username
    assert events(app, "dictionary.relabel") == []
    admin = signed_in(app, factory, "dict-sys")
    for path in ("/admin/dictionaries", PAGE):
        page = admin.get(path).get_data(as_text=True)
        assert "字典甲" not in page and "收受礼金" not in page and "东镇东村" not in page
