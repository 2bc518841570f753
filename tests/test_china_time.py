"""Times are stored in UTC and read in the deployment's zone (QINGLIAN_TIMEZONE, default Asia/Shanghai)
everywhere: pages, share logs, the inbox, xlsx files, the API's ``…_at`` fields and the periodic jobs' cron."""
from __future__ import annotations

import io
import os
import re
import time as clock
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine
from openpyxl import load_workbook

from tests.conftest import Browser, bearer
from tests.test_zones import _build_world, _grant, _urls

STEP = datetime(2026, 11, 18, 13, 17, tzinfo=timezone.utc)  # 21:17 in Beijing
# The scenario's day is a day to come: on PostgreSQL the shares' expiry is checked against the server's clock.
DAY = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)
DAY_STEP = datetime.combine(DAY, time(13, 17), tzinfo=timezone.utc)
ROOT = Path(__file__).resolve().parent.parent


def test_a_step_at_13_17_utc_reads_21_17_on_every_page_file_and_api(app, factory):
    with time_machine.travel(datetime.combine(DAY, time(1, 0), tzinfo=timezone.utc), tick=False):
        world = _build_world(app, factory, DAY)
    east, west = world.towns["东镇"], world.towns["西镇"]
    with time_machine.travel(DAY_STEP, tick=False):
        # 13:17 UTC: the county grants 西镇 cross-handling (an inbox item there) and sends a notice to its
        # townships; 西镇's officer starts the petition through the grant (a step, and a line in the share log);
        # 东镇 acknowledges the notice through the API.
        _grant(app, world, "西镇", ["w-officer"], "petitions", "handle", ends_on=DAY + timedelta(days=5))
        county = bearer(app, "k-boss")
        sent = app.test_client().post(f"/api/v1/u/{world.county}/directives", headers=county, json={
            "title": "关于开展交叉核查的通知", "body": "请签收。", "audience": {"mode": "levels", "levels": ["township"]}})
        assert sent.status_code == 201, sent.get_json()
        handler = Browser(app, factory)
        handler.login("w-officer")
        petition_page = _urls(world, west)["petition page"]
        assert handler.post(f"{petition_page}/steps/start", {}, form_page=petition_page).status_code == 302
        ack = app.test_client().post(f"/api/v1/u/{east}/directives/{sent.get_json()['id']}/acknowledge",
                                     headers=bearer(app, "e-officer"))
        assert ack.status_code == 200
        assert ack.get_json()["acknowledged_at"] == f"{DAY.isoformat()}T21:17:00+08:00"

    with time_machine.travel(DAY_STEP + timedelta(hours=1), tick=False):
        owner = Browser(app, factory)
        owner.login("e-leader")
        page = owner.get(f"/u/{east}/petitions/{world.petition}").get_data(as_text=True)
        timeline = re.search(r"data-history>(.*?)</ol>", page, re.S).group(1)
        assert f"{DAY.isoformat()} 21:17 · " in timeline and "13:17" not in timeline
        share_log = page[page.index("data-share-accesses"):]
        assert f"{DAY.isoformat()} 21:17" in share_log and "13:17" not in share_log

        handler.login("w-officer")  # a new session: the one of 13:17 has gone idle
        inbox = handler.get(f"/u/{west}/inbox").get_data(as_text=True)
        assert f"{DAY:%m-%d} 21:17" in inbox and "13:17" not in inbox
        api_inbox = app.test_client().get(f"/api/v1/u/{west}/inbox", headers=bearer(app, "w-officer")).get_json()
        assert {i["created_at"] for i in api_inbox} == {f"{DAY.isoformat()}T21:17:00+08:00"}

        officer = Browser(app, factory)
        officer.login("e-officer")
        export = officer.post(f"/u/{east}/exports/new", {"kind": "directives_received"},
                              form_page=f"/u/{east}/directives")
        assert export.status_code == 200 and export.mimetype.endswith("spreadsheetml.sheet")
        header, row = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))[:2]
        assert row[header.index("签收时间")] == datetime.combine(DAY, time(21, 17))


def test_the_zone_is_the_deployments_setting(app):
    """QINGLIAN_TIMEZONE names the zone; the filter, the API and 'today' follow it."""
    from core import calendar, timefmt

    assert app.config["TIMEZONE"] == "Asia/Shanghai"
    with app.app_context():
        assert timefmt.local_time(STEP) == "2026-11-18 21:17"
        assert timefmt.local_time(STEP.replace(tzinfo=None)) == "2026-11-18 21:17"  # SQLite's naive UTC
        assert timefmt.local_iso(STEP) == "2026-11-18T21:17:00+08:00"
        with time_machine.travel(datetime(2026, 11, 18, 17, 0, tzinfo=timezone.utc), tick=False):
            assert calendar.today() == date(2026, 11, 19)  # 01:00 in Beijing
        saved = app.config["TIMEZONE"]
        app.config["TIMEZONE"] = "Europe/Berlin"
        try:
            assert timefmt.local_time(STEP) == "2026-11-18 14:17"
            assert timefmt.local_iso(STEP) == "2026-11-18T14:17:00+01:00"
        finally:
            app.config["TIMEZONE"] = saved


def test_the_periodic_jobs_cron_is_read_in_the_deployments_zone(app):
    """'5 8 * * *' (the rota's hand-over) falls at 08:05 in Beijing, 00:05 UTC: in the embedded cron and in
    RQ's cron scheduler, which reads cron fields in the process's local time."""
    from rq.cron import CronJob

    from core.jobs import next_run, read_cron_in_deployment_zone

    with app.app_context():
        due = next_run("5 8 * * *", STEP)
        assert due.isoformat() == "2026-11-19T08:05:00+08:00"
        assert due.astimezone(timezone.utc) == datetime(2026, 11, 19, 0, 5, tzinfo=timezone.utc)
        assert next_run("15 9 1 * *", STEP).isoformat() == "2026-12-01T09:15:00+08:00"  # monthly bulletins

        saved = os.environ.get("TZ")
        try:
            os.environ["TZ"] = "UTC"  # a server's zone
            clock.tzset()
            read_cron_in_deployment_zone()
            job = CronJob(queue_name="q", func=test_the_periodic_jobs_cron_is_read_in_the_deployments_zone,
                          cron="5 8 * * *")
            due = job.next_enqueue_time.astimezone(ZoneInfo("Asia/Shanghai"))
            assert (due.hour, due.minute) == (8, 5) and job.next_enqueue_time.astimezone(timezone.utc).hour == 0
        finally:
            if saved is None:
                os.environ.pop("TZ", None)
            else:
                os.environ["TZ"] = saved
            clock.tzset()


def test_no_template_formats_a_stored_time_itself():
    """Every time on a page goes through the one filter (local_time): a template that calls strftime, Babel's
    datetimeformat or isoformat on a stored time would show UTC."""
    offenders = []
    for template in [*ROOT.glob("core/**/templates/**/*.html"), *ROOT.glob("tenants/**/templates/**/*.html"),
                     *ROOT.glob("reporting/**/templates/**/*.html")]:
        text = template.read_text()
        for pattern in (r"\.strftime\(", r"\|\s*datetimeformat", r"\|\s*format_datetime", r"_at\.isoformat\(",
                        r"\bat\.isoformat\("):
            if re.search(pattern, text):
                offenders.append(f"{template.relative_to(ROOT)}: {pattern}")
    assert not offenders, offenders
