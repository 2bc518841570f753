#!/usr/bin/env bash
# Set up and run the whole test suite: on SQLite with jobs inline, then on PostgreSQL
# (row-level security, app connecting as its own non-superuser role) with Redis/RQ.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"
.venv/bin/pybabel compile -d core/translations >/dev/null

# The browser test drives Debian's Chromium (Playwright's own browser download needs the internet).
# A CJK font so screenshots of Chinese pages are legible; npm (Node.js) where the machine lacks it.
if ! command -v chromium >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1 || ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei $(command -v npm >/dev/null || echo nodejs npm) >/dev/null
fi
# The documents' PDF (core/renditions): LibreOffice without its GUI, CJK serif and sans fonts, and poppler's
# pdftotext/pdfinfo, with which the tests read the PDF.
if ! command -v soffice >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -q "Noto Serif CJK"; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libreoffice-writer-nogui fonts-noto-cjk poppler-utils >/dev/null
fi
# The chart library (Apache ECharts, pinned in package-lock.json) from the npm registry, copied into
# core/static/vendor/ (no CDN: the intranet has no internet). A failed install stops here.
npm ci --prefer-offline --no-audit --no-fund --loglevel=error
npm run --silent vendor

PG_URL=${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}
REDIS_URL_FOR_TESTS=${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}

echo "== test suite on SQLite, jobs inline"
env -u TEST_DATABASE_URL -u TEST_REDIS_URL .venv/bin/python -m pytest "$@"

reachable() {
  .venv/bin/python - "$PG_URL" "$REDIS_URL_FOR_TESTS" <<'PY'
import sys, psycopg, redis
try:
    psycopg.connect(sys.argv[1].replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3).close()
    redis.Redis.from_url(sys.argv[2], socket_connect_timeout=3).ping()
except Exception as exc:
    print(f"not reachable: {exc}")
    sys.exit(1)
PY
}
if reachable; then
  echo "== test suite on PostgreSQL + Redis"
  TEST_DATABASE_URL="$PG_URL" TEST_REDIS_URL="$REDIS_URL_FOR_TESTS" .venv/bin/python -m pytest "$@"
elif [ "${REQUIRE_POSTGRES:-0}" = 1 ]; then
  echo "PostgreSQL/Redis required but not reachable at $PG_URL / $REDIS_URL_FOR_TESTS" >&2
  exit 1
else
  echo "== PostgreSQL + Redis pass skipped: set TEST_DATABASE_URL / TEST_REDIS_URL or start the services"
fi
