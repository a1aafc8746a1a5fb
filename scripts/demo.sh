#!/usr/bin/env bash
# `make demo`: Watchpost on its embedded defaults. SQLite, tasks in-process, AWS from the local emulator,
# a demo login printed, served on http://127.0.0.1:8000 (DEMO_PORT; the emulator on DEMO_EMULATOR_PORT, 4566).
set -euo pipefail
cd "$(dirname "$0")/.."

export DJANGO_DEBUG=1
export DATABASE_URL="${DEMO_DATABASE_URL:-sqlite:///$PWD/watchpost.sqlite3}"
unset REDIS_URL || true
# boto3's own variables: fake credentials for the emulator, never a real profile.
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_SESSION_TOKEN || true

PORT="${DEMO_PORT:-8000}"
EMULATOR_PORT="${DEMO_EMULATOR_PORT:-4566}"
# DEMO_THROTTLE_ACCOUNT=222222222222 makes AWS throttle that account's GuardDuty (docs/operations.md, Faults).
THROTTLE=()
if [ -n "${DEMO_THROTTLE_ACCOUNT:-}" ]; then THROTTLE=(--throttle "$DEMO_THROTTLE_ACCOUNT"); fi
python -m aws_emulator --host 127.0.0.1 --port "$EMULATOR_PORT" --seed demo "${THROTTLE[@]}" &
EMULATOR_PID=$!
trap 'kill $EMULATOR_PID 2>/dev/null || true' EXIT
export AWS_ENDPOINT_URL="http://127.0.0.1:${EMULATOR_PORT}"
for _ in $(seq 1 50); do
  python -c "import socket; socket.create_connection(('127.0.0.1', ${EMULATOR_PORT}), 0.2)" \
    2>/dev/null && break
  sleep 0.2
done

python manage.py migrate --noinput -v0
LOGIN=$(python manage.py seed_demo)
# The organisation's members, found and checked through the real code path, then collected.
python manage.py discover_accounts --check
python manage.py collect
# A month of triage history (resolutions, daily counts, risk acceptances): trends and SLAs show shapes.
HISTORY=$(python manage.py seed_demo_history)
echo "${HISTORY}" | head -n 1
echo
echo "  Watchpost demo: http://127.0.0.1:${PORT}/"
echo "  ${LOGIN}"
# A Manager who sees one OU: their report at /reports/?period=month.
echo "${HISTORY}" | grep '^Manager login' | sed 's/^/  /' || true
echo
python manage.py runserver "127.0.0.1:${PORT}" --noreload
