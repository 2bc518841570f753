"""服务监控 (issue 23): the host, the database, Redis and the queues, for the system admin's page (refreshed by
core/static/monitor.js from its JSON) and, in Prometheus' text format, for a data centre's monitoring.

Figures of the platform only: no query's text, no job's arguments, no record. The Prometheus endpoint answers a
bearer token (``QINGLIAN_METRICS_TOKEN``) or an address in ``QINGLIAN_METRICS_NETWORKS`` (the client address as
core.proxies resolves it: X-Forwarded-For believed only from a trusted proxy); anyone else gets 404. With neither
configured nobody gets it.
"""
from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, text

from core import jobs
from core.clock import as_utc, utcnow
from core.extensions import db
from core.proxies import parse_networks

log = logging.getLogger(__name__)

QUEUE_LABELS = {"default": _l("默认队列"), "imports": _l("导入队列"), "reports": _l("报表队列"),
                "maintenance": _l("维护队列")}


def _bytes(n: float | None) -> str:
    if n is None:
        return _("无法读取")
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return ""


def _seconds(s: float | None) -> str:
    if s is None:
        return _("无")
    if s < 60:
        return _("%(n)s 秒", n=f"{s:.1f}")
    if s < 3600:
        return _("%(m)s 分 %(s)s 秒", m=int(s // 60), s=int(s % 60))
    return _("%(h)s 小时 %(m)s 分", h=int(s // 3600), m=int(s % 3600 // 60))


# ---------------------------------------------------------------- the figures


def host() -> dict:
    import psutil

    memory = psutil.virtual_memory()
    disks = []
    seen = set()
    for label, path in ((_("实例目录"), current_app.instance_path),
                        (_("附件目录"), current_app.config.get("ATTACHMENTS_DIR") or current_app.instance_path)):
        probe = Path(path)
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        try:
            usage = psutil.disk_usage(str(probe))
        except OSError:
            continue
        key = (usage.total, usage.used)
        if key in seen:
            continue
        seen.add(key)
        disks.append({"key": f"disk{len(disks)}", "label": label, "total": usage.total, "used": usage.used,
                      "percent": usage.percent})
    load = os.getloadavg() if hasattr(os, "getloadavg") else (None, None, None)
    return {"cpu_percent": psutil.cpu_percent(interval=0.1), "cpus": psutil.cpu_count() or 0,
            "load1": load[0], "memory_total": memory.total, "memory_used": memory.total - memory.available,
            "memory_percent": memory.percent, "disks": disks, "boot_time": psutil.boot_time()}


def database() -> dict:
    """Size, connections, the longest running query's duration (never its text), replication lag."""
    engine = db.engine
    figures = {"dialect": engine.dialect.name, "up": True, "size": None, "connections": None,
               "max_connections": None, "longest_query": None, "replicas": None, "replication_lag": None,
               "standby": False}
    try:
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                figures["size"] = conn.scalar(text("SELECT pg_database_size(current_database())"))
                figures["connections"] = conn.scalar(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"))
                figures["max_connections"] = int(conn.scalar(text("SHOW max_connections")))
                figures["longest_query"] = conn.scalar(text(
                    "SELECT EXTRACT(EPOCH FROM max(clock_timestamp() - query_start)) FROM pg_stat_activity "
                    "WHERE state = 'active' AND pid <> pg_backend_pid() AND datname = current_database()"))
                if conn.scalar(text("SELECT pg_is_in_recovery()")):  # this server is itself a replica
                    figures["standby"] = True
                    figures["replication_lag"] = conn.scalar(text(
                        "SELECT EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())"))
                else:
                    replicas, lag = conn.execute(text(
                        "SELECT count(*), EXTRACT(EPOCH FROM max(replay_lag)) FROM pg_stat_replication")).one()
                    figures["replicas"] = replicas
                    figures["replication_lag"] = lag if replicas else None
                conn.rollback()
        else:
            path = engine.url.database
            if path and path != ":memory:":
                figures["size"] = sum(os.path.getsize(p) for p in (path, f"{path}-wal") if os.path.exists(p))
            figures["replicas"] = 0
    except Exception as exc:  # the page must say the database is unwell, not fail
        figures.update(up=False, error=type(exc).__name__)
    for key in ("longest_query", "replication_lag"):
        if figures[key] is not None:
            figures[key] = float(figures[key])
    return figures


def redis_figures() -> dict:
    if jobs.inline_mode():
        return {"enabled": False}
    try:
        connection = jobs.redis_connection()
        info = connection.info()
        return {"enabled": True, "up": True, "memory": info.get("used_memory"), "max_memory": info.get("maxmemory"),
                "clients": info.get("connected_clients"), "keys": connection.dbsize(),
                "version": info.get("redis_version")}
    except Exception as exc:
        return {"enabled": True, "up": False, "error": type(exc).__name__}


def queues() -> dict:
    """Per queue: waiting, running, failed; this deployment's workers."""
    if jobs.inline_mode():
        return {"enabled": False, "queues": [], "workers": 0}
    try:
        from rq import Worker
        from rq.registry import FailedJobRegistry

        rows = []
        for name in jobs.QUEUES:
            queue = jobs.get_queue(name)
            rows.append({"name": name, "label": str(QUEUE_LABELS.get(name, name)), "depth": queue.count,
                         "started": queue.started_job_registry.count, "failed": FailedJobRegistry(queue=queue).count})
        ours = {jobs.queue_name(name) for name in jobs.QUEUES}
        workers = sum(1 for w in Worker.all(connection=jobs.redis_connection()) if ours & set(w.queue_names()))
        return {"enabled": True, "up": True, "queues": rows, "workers": workers}
    except Exception as exc:
        return {"enabled": True, "up": False, "queues": [], "workers": 0, "error": type(exc).__name__}


def periodic() -> dict:
    """The periodic jobs: how many, paused, failed in the last day; per job its last run (for Prometheus)."""
    from datetime import timedelta

    from core.job_runs import FAILED, JobRun, overview

    rows = overview()
    failed_day = db.session.scalar(select(func.count(JobRun.id)).where(
        JobRun.outcome == FAILED, JobRun.queued_at > utcnow() - timedelta(days=1))) or 0
    return {"count": len(rows), "paused": sum(r["paused"] for r in rows), "failed_day": failed_day,
            "jobs": [{"name": r["name"], "paused": r["paused"],
                      "last_ok": None if r["last"] is None or r["last"].outcome not in ("ok", "failed")
                      else r["last"].outcome == "ok",
                      "last_seconds": None if r["last"] is None or r["last"].duration_ms is None
                      else r["last"].duration_ms / 1000,
                      "last_finished": as_utc(r["last"].finished_at).timestamp() if r["last"] and r["last"].finished_at
                      else None} for r in rows]}


def snapshot() -> dict:
    return {"host": host(), "database": database(), "redis": redis_figures(), "queues": queues(),
            "periodic": periodic(), "at": utcnow()}


# ---------------------------------------------------------------- as the page shows them


def display(snap: dict) -> dict[str, str]:
    """Each figure of the page by its key, in words (the page's [data-figure] cells; the JSON repeats them)."""
    h, d, r, q, p = snap["host"], snap["database"], snap["redis"], snap["queues"], snap["periodic"]
    out = {
        "host.cpu": f"{h['cpu_percent']:.1f}%",
        "host.cpus": str(h["cpus"]),
        "host.load": "—" if h["load1"] is None else f"{h['load1']:.2f}",
        "host.memory": _("%(used)s / %(total)s（%(p)s%%）", used=_bytes(h["memory_used"]),
                         total=_bytes(h["memory_total"]), p=f"{h['memory_percent']:.1f}"),
    }
    for disk in h["disks"]:
        out[f"host.{disk['key']}"] = _("%(used)s / %(total)s（%(p)s%%）", used=_bytes(disk["used"]),
                                       total=_bytes(disk["total"]), p=f"{disk['percent']:.1f}")
    postgres = d["dialect"] == "postgresql"
    out["db.state"] = _("正常") if d["up"] else _("无法连接")
    out["db.kind"] = "PostgreSQL" if postgres else _("SQLite（嵌入式）")
    out["db.size"] = _bytes(d["size"]) if d["size"] is not None else _("无法读取")
    out["db.connections"] = (_("%(n)s / 上限 %(max)s", n=d["connections"], max=d["max_connections"])
                             if d["connections"] is not None else _("不适用"))
    out["db.longest"] = _seconds(d["longest_query"]) if postgres else _("不适用")
    if d.get("standby"):
        out["db.replication"] = _("本库为备库，延迟 %(s)s", s=_seconds(d["replication_lag"]))
    elif d["replicas"]:
        out["db.replication"] = _("%(n)s 个备库，最大延迟 %(s)s", n=d["replicas"], s=_seconds(d["replication_lag"]))
    else:
        out["db.replication"] = _("未配置")
    if not r["enabled"]:
        for key in ("redis.state", "redis.memory", "redis.clients", "redis.keys"):
            out[key] = _("未启用")
        out["redis.state"] = _("未启用（嵌入式模式，后台任务就地执行）")
    elif not r["up"]:
        out["redis.state"] = _("无法连接")
        for key in ("redis.memory", "redis.clients", "redis.keys"):
            out[key] = "—"
    else:
        out["redis.state"] = _("正常（版本 %(v)s）", v=r["version"])
        out["redis.memory"] = _bytes(r["memory"])
        out["redis.clients"] = str(r["clients"])
        out["redis.keys"] = str(r["keys"])
    if not q["enabled"]:
        out["queues.workers"] = _("未启用")
    elif not q["up"]:
        out["queues.workers"] = _("无法连接")
    else:
        out["queues.workers"] = str(q["workers"])
    for name in jobs.QUEUES:
        row = next((x for x in q["queues"] if x["name"] == name), None)
        for field in ("depth", "started", "failed"):
            out[f"queues.{name}.{field}"] = str(row[field]) if row else "—"
    out["jobs.count"] = str(p["count"])
    out["jobs.paused"] = str(p["paused"])
    out["jobs.failed_day"] = str(p["failed_day"])
    return out


# ---------------------------------------------------------------- Prometheus


def prometheus_text(snap: dict) -> bytes:
    """The same figures in Prometheus' text format (a registry of its own per answer: no process-wide state)."""
    from prometheus_client import CollectorRegistry, Gauge, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    families: dict = {}

    def gauge(name, doc, value, labels: dict | None = None):
        if value is None:
            return
        if name not in families:
            families[name] = Gauge(name, doc, list(labels or {}), registry=registry)
        metric = families[name]
        (metric.labels(**labels) if labels else metric).set(float(value))

    h, d, r, q, p = snap["host"], snap["database"], snap["redis"], snap["queues"], snap["periodic"]
    gauge("qinglian_host_cpu_percent", "Host CPU use, percent", h["cpu_percent"])
    gauge("qinglian_host_cpus", "Host logical CPUs", h["cpus"])
    gauge("qinglian_host_load1", "Host load average over 1 minute", h["load1"])
    gauge("qinglian_host_memory_total_bytes", "Host memory", h["memory_total"])
    gauge("qinglian_host_memory_used_bytes", "Host memory in use", h["memory_used"])
    for disk in h["disks"]:
        labels = {"volume": "instance" if disk["key"] == "disk0" else "attachments"}
        gauge("qinglian_host_disk_total_bytes", "Disk size of the volume", disk["total"], labels)
        gauge("qinglian_host_disk_used_bytes", "Disk in use on the volume", disk["used"], labels)
    gauge("qinglian_database_up", "Database reachable", 1 if d["up"] else 0)
    gauge("qinglian_database_size_bytes", "Database size", d["size"])
    gauge("qinglian_database_connections", "Connections to the database", d["connections"])
    gauge("qinglian_database_max_connections", "Connection limit of the server", d["max_connections"])
    gauge("qinglian_database_longest_query_seconds", "Duration of the longest running query",
          d["longest_query"] or 0 if d["dialect"] == "postgresql" and d["up"] else None)
    gauge("qinglian_database_replicas", "Replicas streaming from this server", d["replicas"])
    gauge("qinglian_database_replication_lag_seconds", "Replication lag (largest replica's, or this standby's)",
          d["replication_lag"])
    gauge("qinglian_redis_enabled", "Redis configured (0: embedded mode, jobs inline)", 1 if r["enabled"] else 0)
    if r["enabled"]:
        gauge("qinglian_redis_up", "Redis reachable", 1 if r["up"] else 0)
        gauge("qinglian_redis_memory_bytes", "Redis memory in use", r.get("memory"))
        gauge("qinglian_redis_clients", "Redis connected clients", r.get("clients"))
        gauge("qinglian_redis_keys", "Keys in the Redis database", r.get("keys"))
    if q["enabled"] and q["up"]:
        gauge("qinglian_queue_workers", "Workers serving this deployment's queues", q["workers"])
        for row in q["queues"]:
            gauge("qinglian_queue_depth", "Jobs waiting in the queue", row["depth"], {"queue": row["name"]})
            gauge("qinglian_queue_started", "Jobs running from the queue", row["started"], {"queue": row["name"]})
            gauge("qinglian_queue_failed", "Failed jobs kept for the queue", row["failed"], {"queue": row["name"]})
    gauge("qinglian_periodic_jobs", "Periodic jobs declared", p["count"])
    gauge("qinglian_periodic_jobs_paused", "Periodic jobs paused", p["paused"])
    gauge("qinglian_periodic_job_failures_24h", "Failed periodic job runs in the last 24 hours", p["failed_day"])
    for job in p["jobs"]:
        labels = {"job": job["name"]}
        gauge("qinglian_periodic_job_paused", "The periodic job is paused", 1 if job["paused"] else 0, labels)
        if job["last_ok"] is not None:
            gauge("qinglian_periodic_job_last_success", "The job's last run succeeded", 1 if job["last_ok"] else 0,
                  labels)
        gauge("qinglian_periodic_job_last_duration_seconds", "The job's last run took", job["last_seconds"], labels)
        gauge("qinglian_periodic_job_last_finished_timestamp_seconds", "When the job's last run finished",
              job["last_finished"], labels)
    gauge("qinglian_monitor_scrape_timestamp_seconds", "When these figures were read", time.time())
    return generate_latest(registry)


def _token() -> str:
    return current_app.config.get("METRICS_TOKEN") or os.environ.get("QINGLIAN_METRICS_TOKEN") or ""


def _networks() -> tuple:
    configured = current_app.config.get("METRICS_NETWORKS")
    if configured is not None:
        return tuple(ipaddress.ip_network(n, strict=False) if isinstance(n, str) else n for n in configured)
    try:
        return parse_networks(os.environ.get("QINGLIAN_METRICS_NETWORKS", ""))
    except RuntimeError:  # a malformed setting admits nobody (and says so in the log), never everybody
        log.warning("QINGLIAN_METRICS_NETWORKS is not a list of addresses or networks: no network admitted")
        return ()


def metrics_allowed(request) -> bool:
    """A bearer token equal to QINGLIAN_METRICS_TOKEN, or a client address in QINGLIAN_METRICS_NETWORKS."""
    token = _token()
    given = request.headers.get("Authorization", "")
    if token and given[:7].lower() == "bearer " and hmac.compare_digest(given[7:].strip().encode(), token.encode()):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in _networks())
