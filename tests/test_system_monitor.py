"""服务监控 (issue 23): the host, database, Redis and queues for the system admin, refreshed by a static script;
the same figures in Prometheus' text format for the data centre, behind a token or an allowed network."""
from __future__ import annotations

import re

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ADMIN_URL, REDIS_URL, Browser

OUTSIDE = {"REMOTE_ADDR": "10.1.2.3"}


def _sysadmin(app, factory) -> Browser:
    factory.account("mon-sys", platform_role="system")
    browser = Browser(app, factory)
    browser.login("mon-sys")
    return browser


def test_the_system_admin_sees_host_database_redis_and_queues(app, factory):
    browser = _sysadmin(app, factory)
    response = browser.get("/admin/monitor")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for heading in ("服务器", "处理器使用率", "内存（已用 / 总量）", "磁盘：实例目录", "数据库大小", "连接数",
                    "最长运行中的查询", "主备复制延迟", "Redis 缓存", "任务队列", "定时任务数"):
        assert heading in page, heading
    assert re.search(r'data-figure="host.cpu">\d+\.\d%<', page)
    assert re.search(r'data-figure="db.size">[\d.]+ (KB|MB|GB)<', page)
    assert 'data-figure="db.replication">未配置<' in page  # no replica in the tests
    if ADMIN_URL:
        assert re.search(r'data-figure="db.connections">\d+ / 上限 \d+<', page)
    else:
        assert 'data-figure="db.connections">不适用<' in page
    if REDIS_URL:
        assert re.search(r'data-figure="redis.keys">\d+<', page) and "默认队列" in page
    else:
        assert 'data-figure="redis.memory">未启用<' in page and 'data-figure="queues.workers">未启用<' in page
    # Refreshed by a static script (CSP script-src 'self'): no inline script on the page.
    assert '/static/monitor.js' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert app.test_client().get("/static/monitor.js").status_code == 200
    assert "服务监控" in browser.get("/admin/").get_data(as_text=True)  # in the admin menu


def test_the_json_the_page_polls_has_every_figure_in_words(app, factory):
    browser = _sysadmin(app, factory)
    page = browser.get("/admin/monitor").get_data(as_text=True)
    body = browser.get("/admin/monitor.json").get_json()
    keys = set(re.findall(r'data-figure="([^"]+)"', page)) - {"at"}
    assert keys and keys <= set(body["figures"])
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", body["at"])
    assert all(isinstance(v, str) and v and "None" not in v for v in body["figures"].values())


def test_nobody_else_reaches_the_monitor(app, factory):
    tree = factory.tree()
    factory.account("mon-sec", platform_role="security")
    factory.account("mon-aud", platform_role="audit")
    roles = ("leader", "officer", "intake", "reviewer", "case_admin", "analyst", "unit_admin")
    for role in roles:
        factory.account(f"mon-{role}", [(tree.county, role)])
    for username in ("mon-sec", "mon-aud", *(f"mon-{r}" for r in roles)):
        browser = Browser(app, factory)
        browser.login(username)
        for path in ("/admin/monitor", "/admin/monitor.json"):
            assert browser.get(path).status_code == 404, (username, path)
        assert "/admin/monitor" not in browser.get("/", follow_redirects=True).get_data(as_text=True)
    anonymous = app.test_client().get("/admin/monitor.json")
    assert anonymous.status_code == 302 and "/login" in anonymous.location


def _metrics(app, **kw):
    return app.test_client().get("/metrics", **kw)


def test_the_prometheus_endpoint_refuses_anonymous_requests_from_outside(app, factory, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "dc-scrape-token-1234567890")
    monkeypatch.setitem(app.config, "METRICS_NETWORKS", ("127.0.0.1/32",))
    assert _metrics(app, environ_base=OUTSIDE).status_code == 404
    assert _metrics(app, environ_base=OUTSIDE, headers={"Authorization": "Bearer wrong"}).status_code == 404
    # X-Forwarded-For is believed only from a trusted proxy (none here): it cannot put a caller inside.
    assert _metrics(app, environ_base=OUTSIDE, headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 404
    # A signed-in system admin is no scraper either.
    browser = _sysadmin(app, factory)
    assert browser.get("/metrics", environ_base=OUTSIDE).status_code == 404

    monkeypatch.setitem(app.config, "METRICS_TOKEN", "")
    monkeypatch.setitem(app.config, "METRICS_NETWORKS", ())
    assert _metrics(app).status_code == 404  # nothing configured: nobody, not even the machine itself


def test_the_prometheus_endpoint_answers_the_token_and_the_network_and_parses(app, factory, monkeypatch):
    tree = factory.tree()
    factory.account("mon-leader", [(tree.town, "leader")])
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "dc-scrape-token-1234567890")
    monkeypatch.setitem(app.config, "METRICS_NETWORKS", ("127.0.0.1/32",))
    by_token = _metrics(app, environ_base=OUTSIDE, headers={"Authorization": "Bearer dc-scrape-token-1234567890"})
    by_network = _metrics(app)  # the test client's address is 127.0.0.1
    for response in (by_token, by_network):
        assert response.status_code == 200 and response.content_type.startswith("text/plain")
        assert response.headers["Cache-Control"] == "no-store"
    body = by_token.get_data(as_text=True)
    families = {family.name: family for family in text_string_to_metric_families(body)}

    def value(name, **labels):
        return next(s.value for s in families[name].samples if all(s.labels.get(k) == v for k, v in labels.items()))

    assert 0 <= value("qinglian_host_cpu_percent") <= 100
    assert value("qinglian_host_memory_total_bytes") > value("qinglian_host_memory_used_bytes") > 0
    assert value("qinglian_host_disk_total_bytes", volume="instance") > 0
    assert value("qinglian_database_up") == 1 and value("qinglian_database_size_bytes") > 0
    assert value("qinglian_periodic_jobs") >= 20
    assert value("qinglian_periodic_job_paused", job="core.audit.jobs.verify_audit_chains") == 0
    assert value("qinglian_redis_enabled") == (1 if REDIS_URL else 0)
    if REDIS_URL:
        assert value("qinglian_redis_up") == 1 and value("qinglian_queue_depth", queue="default") >= 0
    if ADMIN_URL:
        assert value("qinglian_database_connections") >= 1
        assert "qinglian_database_longest_query_seconds" in families
    # Figures only: no unit, no account, no record.
    for content in ("东镇", "甲县", "mon-leader", "姓名"):
        assert content not in body


def test_the_environment_configures_the_endpoint(app, monkeypatch):
    """QINGLIAN_METRICS_TOKEN and QINGLIAN_METRICS_NETWORKS, read at each request; a malformed network admits nobody."""
    monkeypatch.delitem(app.config, "METRICS_TOKEN", raising=False)
    monkeypatch.delitem(app.config, "METRICS_NETWORKS", raising=False)
    monkeypatch.setenv("QINGLIAN_METRICS_NETWORKS", "10.1.2.0/24")
    assert _metrics(app, environ_base=OUTSIDE).status_code == 200
    assert _metrics(app).status_code == 404  # 127.0.0.1 is not in 10.1.2.0/24
    monkeypatch.setenv("QINGLIAN_METRICS_NETWORKS", "everyone")
    assert _metrics(app, environ_base=OUTSIDE).status_code == 404
    monkeypatch.setenv("QINGLIAN_METRICS_TOKEN", "from-the-environment-123")
    assert _metrics(app, headers={"Authorization": "Bearer from-the-environment-123"}).status_code == 200
