"""Gunicorn configuration for Qinglian (production).

Used by the systemd unit and the container image:

    gunicorn -c ops/gunicorn.conf.py wsgi:app

Every knob can be overridden from the environment (GUNICORN_*), so the same file
serves a bare-metal host behind a local nginx and a container behind a compose
network. Settings that an older gunicorn does not know are ignored by it.
"""
import os


def _int(name, default):
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _cores():
    # Honour CPU affinity/cpusets (containers, systemd CPUAffinity=), not just
    # the host's core count.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# --- Socket ---------------------------------------------------------------
# Loopback only: nginx on the same host is the only client. In a container set
# GUNICORN_BIND=0.0.0.0:8000 (the image does).
bind = [b.strip() for b in os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",") if b.strip()]
backlog = 2048

# --- Workers --------------------------------------------------------------
# Processes x threads. The classic 2*cores+1 rule, capped by default because every
# thread can hold a PostgreSQL connection: keep workers*threads (+ RQ workers)
# well under the server's max_connections. An explicit GUNICORN_WORKERS is used as is.
workers = _int("GUNICORN_WORKERS", 0) or min(2 * _cores() + 1, _int("GUNICORN_MAX_WORKERS", 12))
# gthread: requests are mostly waiting on PostgreSQL; threads make that cheap
# and keep the idle keep-alive connections from nginx off the worker processes.
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 4)

# Recycle workers now and then so slow leaks (openpyxl/python-docx buffers)
# cannot grow without bound; jitter keeps all workers from restarting together.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)

# Do not import the app in the master: each worker opens its own DB/Redis pools
# after fork, and a HUP reload picks up new code without a full restart.
preload_app = False



def post_worker_init(worker):
    # The app, its mappers and compiled statements live as long as the worker: move them out of the
    # cyclic collector's generations, so a full collection walks only what requests made (its pauses
    # were the slow tail of short requests).
    import gc

    gc.freeze()


# --- Timeouts -------------------------------------------------------------
# Long work (imports, exports, bulletins) runs in RQ, so a request that takes a
# minute is stuck: kill it. nginx buffers uploads, so slow clients do not count.
# Attachments are the exception: sealing a 2 GB video takes ~30 s at the ~75 MB/s
# measured (ops/bench/attachments.py); where large videos are allowed on slow
# storage (NFS), raise GUNICORN_TIMEOUT (e.g. 300, with nginx's 300 s above).
timeout = _int("GUNICORN_TIMEOUT", 60)
# Time for in-flight requests to finish on SIGTERM/HUP; systemd's
# TimeoutStopSec is a little longer.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# nginx reuses upstream connections; its upstream keepalive_timeout (4 s in
# nginx/qinglian.conf) must stay below this, so nginx never sends a request on a
# connection gunicorn is just closing (a spurious 502).
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# Worker heartbeat files on tmpfs: a disk-backed /tmp can block workers on fchmod.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# --- Proxy ----------------------------------------------------------------
# Only trust X-Forwarded-Proto from the local nginx (or the compose network,
# via FORWARDED_ALLOW_IPS, which accepts CIDR ranges).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# nginx sets exactly this header; do not honour the other spellings a client
# could send (X-Forwarded-Ssl, X-Forwarded-Protocol).
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

# --- Logging --------------------------------------------------------------
# stdout/stderr go to journald (systemd) or the container log.
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = os.environ.get("GUNICORN_ERRORLOG", "-")
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# Real client first (X-Forwarded-For from nginx), then the peer, the request id
# nginx generated (same id in nginx's log), and the duration in ms.
# Path only, no query string: searches can carry names of informants or accused
# persons, which must never reach a log (DESIGN.md section 5).
access_log_format = (
    '%({x-forwarded-for}i)s %(h)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s '
    '%(M)sms rid=%({x-request-id}i)s "%(a)s"'
)

# --- Process --------------------------------------------------------------
proc_name = "qinglian-web"

# gunicorn >= 25 opens a control socket for gunicornc, by default under $HOME,
# which is read-only under the systemd hardening. Put it in the unit's
# RuntimeDirectory, or disable it where there is none (containers).
_ctl = os.environ.get("GUNICORN_CONTROL_SOCKET") or (
    os.path.join(os.environ["RUNTIME_DIRECTORY"].split(":")[0], "gunicorn.ctl")
    if os.environ.get("RUNTIME_DIRECTORY")
    else ""
)
if _ctl:
    control_socket = _ctl
else:
    control_socket_disable = True
