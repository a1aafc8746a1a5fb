#!/usr/bin/env bash
# Runs the whole suite: lint, migrations check, static files, pytest. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE=config.settings
export DJANGO_SECRET_KEY="${DJANGO_SECRET_KEY:-test-only-secret-key-not-for-production-use-0123456789}"
export DJANGO_ALLOWED_HOSTS="${DJANGO_ALLOWED_HOSTS:-testserver,localhost,127.0.0.1}"
# boto3 must never find real credentials or reach AWS from a test.
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing
export AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_ENDPOINT_URL || true

ruff check .
ruff format --check .
mypy  # configured in pyproject.toml ([tool.mypy]); a few seconds with its cache
python manage.py makemigrations --check --dry-run
python manage.py spectacular --validate --fail-on-warn --file /dev/null
python manage.py collectstatic --noinput -v0
python -m pytest "$@"
