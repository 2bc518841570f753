#!/usr/bin/env bash
# Set up and start Qinglian on the embedded default: SQLite under instance/, jobs inline,
# the demo province; prints the address and the demo logins.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e .
command -v npm >/dev/null || { echo "npm (Node.js) is needed for the chart library: apt-get install nodejs npm" >&2; exit 1; }
# The documents' PDF (下载 PDF): LibreOffice without its GUI and CJK fonts, installed when missing. Without them
# the app still runs and the PDF page says that no converter is installed.
if ! command -v soffice >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -q "Noto Serif CJK"; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  { $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libreoffice-writer-nogui fonts-noto-cjk poppler-utils >/dev/null; } \
    || echo "libreoffice-writer-nogui and fonts-noto-cjk could not be installed: documents download as Word only" >&2
fi
# The chart library (Apache ECharts, pinned in package-lock.json) from the npm registry, copied into
# core/static/vendor/ (no CDN: the intranet has no internet). A failed install stops here.
npm ci --prefer-offline --no-audit --no-fund --loglevel=error
npm run --silent vendor
.venv/bin/pybabel compile -d core/translations >/dev/null
export FLASK_APP=wsgi
.venv/bin/flask db upgrade
.venv/bin/flask demo
PORT=${PORT:-5000}
# The periodic jobs (figures' refresh, bulletins, deadlines, rotas) in a second process: without Redis
# it runs them itself when they fall due. It stops with the app.
.venv/bin/flask jobs cron &
CRON_PID=$!
trap 'kill "$CRON_PID" 2>/dev/null' EXIT
echo
echo "Qinglian is starting at http://127.0.0.1:${PORT}/  (Ctrl-C stops it)"
echo "Log in with any account above; platform admins then need: .venv/bin/flask --app wsgi totp-code <username>"
.venv/bin/flask run --host 127.0.0.1 --port "$PORT"
