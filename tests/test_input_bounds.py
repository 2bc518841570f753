"""Bounded input (issue 16 items 9, 10, 12; issue 17 item 8's API messages): an id beyond the database's integer in
a path is a 404 on every route; in a body or a form a 422; text is limited everywhere (and lists carry an excerpt,
not the letter); NUL is refused in any text; dates lie in a sensible range — each with a Chinese message, never a
500 — and the API answers its errors in Chinese."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.conftest import bearer

BEYOND = 2**31  # one above PostgreSQL's integer, the type of every id column
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def world(app, factory):
    tree = factory.tree()
    factory.account("east-intake", [(tree.town, "intake")])
    factory.account("east-leader", [(tree.town, "leader")])
    factory.account("east-officer", [(tree.town, "officer")])
    factory.account("county-leader", [(tree.county, "leader")])
    return tree


def _today():
    from core.calendar import today

    return today()


def _petition(app, **overrides) -> dict:
    with app.app_context():
        received = _today().isoformat()
    return {"channel": "letter", "received_on": received, "accused_name": "李四", "summary": "反映李四违规收受礼金",
            "content": "详见来信。", "informant": {"name": "张三丰", "phone": "13812345678"}, **overrides}


def _register(client, tree, headers, **overrides):
    return client.post(f"/api/v1/u/{tree.town}/petitions", headers=headers, json=_petition(client.application,
                                                                                             **overrides))


def _sample_path(rule, number: int = BEYOND) -> str:
    """The rule's URL with every <int:…> set to ``number`` and a valid value for the other converters."""
    def value(match):
        converter = match.group(1) or "default"
        if converter == "int":
            return str(number)
        if converter == "any":
            return match.group(2).split(",")[0].strip(" '\"")
        return "x"

    return re.sub(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>", value, rule.rule)


def test_an_id_beyond_the_database_integer_is_a_404_on_every_route(app, world, browser):
    """Signed in (a page session and a bearer token), every method of every route with an id: 404, not a 500
    (PostgreSQL: integer out of range; SQLite: beyond 2⁶³) nor a 405 (werkzeug decides that before it converts)."""
    browser.login("east-leader")
    headers = bearer(app, "east-leader")
    answers = {}
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        for path in (_sample_path(rule), _sample_path(rule, 2**63)):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                kwargs = {"headers": headers} if path.startswith("/api/") else {}
                answers[f"{method} {path}"] = browser.client.open(path, method=method, **kwargs).status_code
    assert len(answers) > 200
    assert {k: v for k, v in answers.items() if v != 404} == {}
    assert browser.get(f"/u/{world.town}/petitions/{2**31 - 1}").status_code == 404  # the largest id: looked up


def test_an_integer_beyond_the_range_in_a_body_query_or_form_is_refused_in_chinese(app, world, browser):
    client = app.test_client()
    headers = bearer(app, "east-intake")
    officer = bearer(app, "east-officer")
    pid = _register(client, world, headers).get_json()["id"]
    for path, body, field, who in [
        (f"/api/v1/u/{world.town}/petitions/{pid}/route", {"mode": "assign", "to_unit_id": BEYOND}, "to_unit_id",
         headers),
        (f"/api/v1/u/{world.town}/petitions", _petition(app, again_of=BEYOND), "again_of", headers),
        (f"/api/v1/u/{world.town}/petitions/{pid}/links", {"link_id": BEYOND, "decision": "confirmed"}, "link_id",
         headers),
        (f"/api/v1/u/{world.town}/petitions/{pid}/transitions", {"transition": "start", "version": BEYOND},
         "version", officer),
    ]:
        response = client.post(path, headers=who, json=body)
        assert response.status_code == 422, (path, response.get_json())
        assert CHINESE.search(response.get_json()["errors"][field][0]), response.get_json()
    huge = client.post(f"/api/v1/u/{world.town}/petitions/{pid}/transitions", headers=officer,
                       json={"transition": "start", "data": {"n": 10**40}})
    assert huge.status_code == 422 and huge.get_json()["errors"] == {"data.n": ["数值超出范围"]}
    # Query arguments read as integers: a number beyond the range is as invalid as a word.
    assert client.get(f"/api/v1/zones?unit={BEYOND}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/units?parent_id={BEYOND}&limit=abc&offset=-3", headers=headers).status_code == 200
    assert client.get(f"/api/v1/u/{world.town}/petitions?page={BEYOND}", headers=headers).status_code == 200
    # The page's form: the same bound, a page saying why.
    browser.login("east-intake")
    page = browser.post(f"/u/{world.town}/petitions/{pid}/route", {"mode": "assign", "to_unit_id": str(BEYOND)},
                        form_page=f"/u/{world.town}/petitions/{pid}")
    assert page.status_code == 422 and "须在 1 至 2147483647 之间" in page.get_data(as_text=True)


def test_a_nul_character_is_refused_in_any_text_input(app, world, browser):
    client = app.test_client()
    headers = bearer(app, "east-intake")
    response = _register(client, world, headers, summary="反映\x00问题")
    assert response.status_code == 422 and response.get_json()["errors"]["summary"] == ["不能包含空字符（\\u0000）"]
    nested = _register(client, world, headers, informant={"name": "张\x00三"})
    assert nested.status_code == 422 and "informant.name" in nested.get_json()["errors"]
    pid = _register(client, world, headers).get_json()["id"]
    step = client.post(f"/api/v1/u/{world.town}/petitions/{pid}/transitions", headers=bearer(app, "east-officer"),
                       json={"transition": "start", "data": {"note": "核查\x00"}})
    assert step.status_code == 422 and "data.note" in step.get_json()["errors"]
    assert client.get(f"/api/v1/u/{world.town}/petitions?q=%00", headers=headers).status_code == 422
    browser.login("east-intake")
    with app.app_context():
        form = {"channel": "letter", "received_on": _today().isoformat(), "accused_name": "李四\x00",
                "summary": "反映问题", "informant_name": "张三丰"}
    page = browser.post(f"/u/{world.town}/petitions/new", form)
    assert page.status_code == 422 and "不能包含空字符" in page.get_data(as_text=True)
    listed = client.get(f"/api/v1/u/{world.town}/petitions", headers=headers).get_json()
    assert listed["total"] == 1  # only the clean one was registered


def test_text_is_limited_and_a_list_carries_an_excerpt_not_the_letter(app, world, browser):
    from core.schemas import CONTENT, EXCERPT

    client = app.test_client()
    headers = bearer(app, "east-intake")
    too_long = _register(client, world, headers, content="字" * (CONTENT + 1))
    assert too_long.status_code == 422
    assert too_long.get_json()["errors"]["content"] == [f"不能超过 {CONTENT} 个字"]
    assert CHINESE.search(too_long.get_json()["message"])
    letter = "甲" * CONTENT
    assert _register(client, world, headers, content=letter).status_code == 201
    assert _register(client, world, headers, summary="摘" * 301).status_code == 422
    listed = client.get(f"/api/v1/u/{world.town}/petitions", headers=headers)
    item = listed.get_json()["items"][0]
    assert "content" not in item and item["content_excerpt"] == "甲" * (EXCERPT - 1) + "…"
    assert len(listed.get_data()) < 5000
    one = client.get(f"/api/v1/u/{world.town}/petitions/{item['id']}", headers=headers).get_json()
    assert one["content"] == letter  # the record itself still has it all
    # Any string of any body (a step's free-form fields too) is capped at the longest text field.
    step = client.post(f"/api/v1/u/{world.town}/petitions/{item['id']}/transitions", headers=bearer(app, "east-officer"),
                       json={"transition": "start", "data": {"note": "字" * (CONTENT + 1)}})
    assert step.status_code == 422
    # The page: the field says its limit, and the server holds it too.
    browser.login("east-intake")
    form_page = browser.get(f"/u/{world.town}/petitions/new").get_data(as_text=True)
    assert re.search(rf'<textarea name="content"[^>]*maxlength="{CONTENT}"', form_page)
    with app.app_context():
        form = {"channel": "letter", "received_on": _today().isoformat(), "accused_name": "李四",
                "summary": "反映问题", "informant_name": "张三丰", "content": "字" * (CONTENT + 1)}
    page = browser.post(f"/u/{world.town}/petitions/new", form)
    assert page.status_code == 422 and f"不能超过 {CONTENT} 个字" in page.get_data(as_text=True)


def test_dates_lie_between_2000_and_a_few_years_ahead_and_receipts_not_in_the_future(app, world, browser):
    client = app.test_client()
    intake = bearer(app, "east-intake")
    with app.app_context():
        today = _today()
    for received in ("0001-01-01", "9999-12-31", "1999-12-31", (today + timedelta(days=1)).isoformat()):
        response = _register(client, world, intake, received_on=received)
        assert response.status_code == 422, received
        assert CHINESE.search(response.get_json()["errors"]["received_on"][0]), response.get_json()
    assert _register(client, world, intake, received_on="2000-01-01").status_code == 201
    pid = _register(client, world, intake).get_json()["id"]
    route = client.post(f"/api/v1/u/{world.town}/petitions/{pid}/route", headers=intake,
                        json={"mode": "assign", "to_unit_id": world.town, "due_on": "9999-12-31"})
    assert route.status_code == 422 and "due_on" in route.get_json()["errors"]
    leader = bearer(app, "county-leader")
    item = client.post(f"/api/v1/u/{world.county}/supervision-items", headers=leader, json={
        "kind": "assigned", "recipient_unit_id": world.town, "title": "督办", "due_on": "9999-12-31"})
    assert item.status_code == 422 and "due_on" in item.get_json()["errors"]
    # A step's free-form date (data.concluded_on) and a page's date field are bounded the same way.
    step = client.post(f"/api/v1/u/{world.town}/petitions/{pid}/transitions", headers=bearer(app, "east-officer"),
                       json={"transition": "start", "data": {"started_on": "0001-01-01"}})
    assert step.status_code == 422 and "data.started_on" in step.get_json()["errors"]
    browser.login("east-intake")
    page = browser.post(f"/u/{world.town}/petitions/new", {
        "channel": "letter", "received_on": "0001-01-01", "accused_name": "李四", "summary": "反映问题",
        "informant_name": "张三丰"})
    assert page.status_code == 422 and "日期" in page.get_data(as_text=True)


def test_api_errors_are_answered_in_chinese(app, world):
    client = app.test_client()
    headers = bearer(app, "east-intake")
    officer = bearer(app, "east-officer")
    answers = [
        client.get(f"/api/v1/u/{world.town}/petitions/999", headers=headers),  # 404
        client.get("/api/v1/no-such-thing", headers=headers),  # 404 of the router
        client.get("/api/v1/me"),  # 401
        client.put("/api/v1/me", headers=headers),  # 405
        client.post(f"/api/v1/u/{world.town}/petitions/1/links", headers=headers, json={}),  # 404 before 422
    ]
    pid = _register(client, world, headers).get_json()["id"]
    answers += [
        client.post(f"/api/v1/u/{world.town}/petitions/{pid}/links", headers=headers, json={"decision": "x"}),
        client.post(f"/api/v1/u/{world.town}/petitions/{pid}/transitions", headers=officer,
                    json={"transition": "start", "version": 99}),  # 409: stale
        client.post(f"/api/v1/u/{world.town}/petitions/{pid}/transitions", headers=officer,
                    json={"transition": "start", "extra": 1}),  # unknown field
    ]
    assert [a.status_code for a in answers] == [404, 404, 401, 405, 404, 422, 409, 422]
    for answer in answers:
        body = answer.get_json()
        texts = [body["error"], body["message"], *[m for ms in body.get("errors", {}).values() for m in ms]]
        assert all(CHINESE.search(t) for t in texts), body
    assert answers[5].get_json()["errors"] == {"link_id": ["此项必填"], "decision": ["须为以下之一：confirmed, rejected"]}
    assert answers[7].get_json()["errors"] == {"extra": ["未知字段"]}


def test_every_input_schema_names_its_bounds(app):
    """Each field of each request body: text with a maximum length, integers within a range, dates of the shared
    bounded type — stated in the schema, so the document shows them (the default bounds are a safety net)."""
    from marshmallow import fields, validate

    from core.api import documented_rules
    from core.schemas import Day, Schema

    def check(schema, where):
        assert isinstance(schema, Schema), where
        for name, field in schema.fields.items():
            if field.dump_only:
                continue
            inner = field.inner if isinstance(field, fields.List) else field
            if isinstance(inner, fields.Nested):
                check(inner.schema, f"{where}.{name}")
            elif isinstance(inner, fields.String):
                assert any(type(v).__name__ == "Length" and v.max or isinstance(v, validate.OneOf)
                           for v in inner.validators), f"{where}.{name}"
            elif isinstance(inner, fields.Integer):
                assert any(isinstance(v, validate.Range) for v in inner.validators), f"{where}.{name}"
            elif isinstance(inner, fields.Date):
                assert isinstance(inner, Day), f"{where}.{name}"

    with app.app_context():
        bodies = {declared["body"] for _rule, declared in documented_rules() if declared["body"] is not None}
    assert len(bodies) > 25
    for body in bodies:
        check(body(), body.__name__)


def test_every_form_checked_against_a_schema_exists_and_its_fields_state_their_limit(app, world, browser):
    from core.schemas import _FORM_SCHEMAS, form_limit

    assert set(_FORM_SCHEMAS) <= set(app.view_functions), set(_FORM_SCHEMAS) - set(app.view_functions)
    with app.app_context():
        assert form_limit("petitions.new", "informant_name") == 50 and form_limit("zones.new", "description") > 0
    browser.login("county-leader")
    page = browser.get(f"/u/{world.county}/supervision/new").get_data(as_text=True)
    assert re.search(r'<textarea name="body"[^>]*maxlength="20000"', page)


def test_a_nul_in_an_imported_cell_is_dropped_not_a_failed_commit(app, world, browser, owner_engine):
    """CSV allows NUL in a cell (PostgreSQL text does not): the cell is read without it."""
    from tests.test_imports import commit, csv_bytes, import_row, ledger_rows, map_and_check, upload

    rows = ledger_rows(3)
    rows[1][13] = "反映\x00问题"  # the summary column
    browser.login("east-intake")
    import_id = upload(browser, world.town, csv_bytes(rows, "utf-8"), "台账.csv")
    map_and_check(app, browser, world.town, import_id)
    assert commit(app, browser, world.town, import_id).status_code == 302
    assert import_row(owner_engine, import_id)["state"] == "committed"
    listed = app.test_client().get(f"/api/v1/u/{world.town}/petitions", headers=bearer(app, "east-intake"))
    assert "反映问题" in {p["summary"] for p in listed.get_json()["items"]}


NON_FINITE = ("NaN", "Infinity", "-Infinity", "1e400")  # Python's JSON reader takes each (1e400 as Infinity)


def test_a_non_finite_number_in_any_json_body_is_refused_in_chinese(app, world):
    """Unguarded, ``{"unit": Infinity}`` reached ``int()`` in the zones API (OverflowError: a 500)."""
    client, headers = app.test_client(), bearer(app, "county-leader")
    for method, path in [("post", "/api/v1/zones"), ("patch", "/api/v1/zones/1"),
                         ("post", "/api/v1/zones/1/meetings"), ("post", "/api/v1/cross-handling"),
                         ("post", "/api/v1/cross-handling/1/revoke")]:
        for number in NON_FINITE:
            response = getattr(client, method)(path, headers=headers, data=f'{{"unit": {number}, "name": "甲"}}',
                                               content_type="application/json")
            assert response.status_code == 422, (method, path, number, response.status_code)
            assert response.get_json()["errors"] == {"unit": ["须为有限的数字"]}, response.get_json()
    for number in ("nan", "inf", "-Infinity", "1e400"):  # a query's unit reads as invalid: the 404 of any other
        assert client.get(f"/api/v1/zones?unit={number}", headers=headers).status_code == 404


def test_the_shared_integer_and_number_guards_refuse_non_finite_numbers(app):
    from core.schemas import bounded_int, finite_number

    for value in (float("nan"), float("inf"), float("-inf"), "nan", "Infinity", "1e400"):
        with pytest.raises(ValueError):
            bounded_int(value)
        with pytest.raises(ValueError):
            finite_number(value)
    assert bounded_int("42") == 42 and finite_number("2.5") == 2.5


@pytest.fixture
def weekly_return(app, world):
    """A county's directive asking its townships for a one-off figure; the town's leader files it."""
    with app.app_context():
        due = (_today() + timedelta(days=7)).isoformat()
    sent = app.test_client().post(f"/api/v1/u/{world.county}/directives", headers=bearer(app, "county-leader"), json={
        "title": "积案存量统计", "audience": {"mode": "levels", "levels": ["township"]}, "return_due_on": due,
        "return_fields": [{"key": "stock", "label": "积案存量", "type": "number", "required": True}]})
    assert sent.status_code == 201, sent.get_json()
    return sent.get_json()["id"]


def test_a_return_figure_that_is_no_finite_number_is_refused_in_chinese(app, world, browser, weekly_return):
    """Unguarded, ``value_stock=nan`` reached ``int(nan)`` (a 500) and ``inf`` ``int(inf)``."""
    client, headers = app.test_client(), bearer(app, "east-leader")
    api = f"/api/v1/u/{world.town}/directives/{weekly_return}/returns"
    for number in ("nan", "NaN", "inf", "Infinity", "-inf", "1e400"):
        response = client.post(api, headers=headers, json={"period": "once", "values": {"stock": number}})
        assert response.status_code == 422 and response.get_json()["errors"] == {"stock": ["“积案存量”须是数字"]}
    for number in NON_FINITE:
        response = client.post(api, headers=headers, data=f'{{"period": "once", "values": {{"stock": {number}}}}}',
                               content_type="application/json")
        assert response.status_code == 422 and response.get_json()["errors"] == {"values.stock": ["须为有限的数字"]}
    huge = client.post(api, headers=headers, json={"period": "once", "values": {"stock": "1e300"}})
    assert huge.status_code == 422 and huge.get_json()["errors"] == {"stock": ["“积案存量”数值过大"]}
    browser.login("east-leader")
    page = f"/u/{world.town}/directives/{weekly_return}"
    for number in ("nan", "Infinity", "1e400"):
        response = browser.post(f"{page}/returns", {"period": "once", "value_stock": number}, form_page=page)
        assert response.status_code == 303 and "“积案存量”须是数字" in browser.get(page).get_data(as_text=True)
    filed = client.post(api, headers=headers, json={"period": "once", "values": {"stock": "12"}})
    assert filed.status_code == 201 and filed.get_json()["values"] == {"stock": 12}


def test_an_indicator_target_or_weight_that_is_no_finite_number_is_refused(app, factory):
    """Unguarded, a target of "inf" or "nan" passed ``target <= 0`` and was stored (PostgreSQL's JSON has no NaN)."""
    from tests.conftest import Browser

    tree = factory.tree()
    factory.account("prov-leader", [(tree.province, "leader")])
    browser = Browser(app, factory)
    browser.login("prov-leader")
    for weight, target, message in [("100", "inf", "是计数，须填目标值"), ("100", "nan", "是计数，须填目标值"),
                                    ("100", "1e400", "是计数，须填目标值"), ("nan", "10", "权重应为 0 到 100 之间的数")]:
        response = browser.post(f"/u/{tree.province}/indicators/new", {
            "name": "信访积案化解", "period_kind": "year", "figure_0": "clearing.cleared", "weight_0": weight,
            "target_0": target})
        assert response.status_code == 422 and message in response.get_data(as_text=True), (weight, target)


def test_a_directive_audience_of_ids_that_are_no_ids_is_refused_not_a_500(app, world, browser):
    """The form's unit ids are text: unguarded, "²" passed ``str.isdigit`` and failed ``int()`` (a 500), and 30
    digits reached the database."""
    browser.login("county-leader")
    page = f"/u/{world.county}/directives/new"
    for unit_id in ("²", "1" * 30, str(BEYOND)):
        response = browser.post(page, {"title": "关于开展专项检查的通知", "body": "请按期完成。",
                                        "audience_mode": "units", "unit_ids": unit_id}, form_page=page)
        assert response.status_code == 422, (unit_id, response.status_code)
        assert "接收单位须是本单位下辖的单位" in response.get_data(as_text=True), unit_id


def test_the_audit_viewer_takes_a_digit_that_is_no_number_as_no_filter(app, browser, factory):
    """"²" is a digit to str.isdigit, not to int(): the viewer's unit filter gave a 500."""
    factory.tree()
    factory.account("audit", platform_role="audit")
    browser.login("audit")
    for value in ("²", "99999999999999999999", "abc"):
        assert browser.get(f"/admin/audit?unit_id={value}").status_code == 200, value
