#!/usr/bin/env bash
# Set up and start Qinglian on the embedded default: SQLite under instance/, jobs inline,
# the demo province; prints the address and the demo logins.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e .
.venv/bin/pybabel compile -d core/translations >/dev/null
export FLASK_APP=wsgi
.venv/bin/flask db upgrade
.venv/bin/flask demo
PORT=${PORT:-5000}
echo
echo "Qinglian is starting at http://127.0.0.1:${PORT}/  (Ctrl-C stops it)"
echo "Log in with any account above; platform admins then need: .venv/bin/flask --app wsgi totp-code <username>"
exec .venv/bin/flask run --host 127.0.0.1 --port "$PORT"
