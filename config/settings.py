"""Watchpost settings, read from the environment only.

Every variable is documented in README.md and .env.example. Local defaults are safe: SQLite, tasks run
in-process, DEBUG off. Production refuses to start without DJANGO_SECRET_KEY unless DJANGO_DEBUG is on.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG: bool = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY: str = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random string "
            '(python -c "import secrets; print(secrets.token_urlsafe(50))"), '
            "or set DJANGO_DEBUG=1 for local development."
        )
    # Only with DJANGO_DEBUG on: a throwaway key, never usable in production.
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105

ALLOWED_HOSTS: list[str] = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"]
)
CSRF_TRUSTED_ORIGINS: list[str] = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.postgres",  # OpClass in index expressions (pg_trgm GIN indexes)
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "config.apps.WatchpostConfig",
    "accounts",
    "findings",
    "principals",
    "costs",
    "webhooks",
    "axes",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.WatchpostLoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: answers a locked-out login with the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.navigation",
            ],
        },
    },
]

# Database: DATABASE_URL (postgres://user:pass@host:5432/name in production), a SQLite file by default.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'watchpost.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo runs runserver threads and in-process tasks on SQLite: WAL and a busy timeout keep
    # concurrent writes from failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},  # as the people form has always asked
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling (django-axes): the axes backend first refuses a login while its username or
# its address is locked out; ModelBackend then checks the password. The REST API's bearer tokens
# never go through authenticate(), so they are not throttled here (the API has its own rate limits).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT: int = env.int("WATCHPOST_LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("WATCHPOST_LOGIN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks: per name, per address
AXES_RESET_ON_SUCCESS = True  # a good login forgets that address's and name's earlier failures
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Behind proxies, the client's address is the X-Forwarded-For entry the nearest proxy added:
# WATCHPOST_PROXY_COUNT is how many proxies stand in front of Watchpost (0: REMOTE_ADDR).
WATCHPOST_PROXY_COUNT: int = env.int("WATCHPOST_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "accounts.login_throttle.client_ip"
AXES_USERNAME_CALLABLE = "accounts.login_throttle.username_of"

PASSWORD_RESET_TIMEOUT = 60 * 60 * 3  # a reset link works for 3 hours, once

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed names, compressed, served by WhiteNoise: no CDN, no separate static server needed.
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Security. The app may run behind a TLS-terminating proxy: it trusts X-Forwarded-Proto from it.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT: bool = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE: bool = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE: bool = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE: int = env.int("DJANGO_SESSION_COOKIE_AGE", default=60 * 60 * 12)
SECURE_HSTS_SECONDS: int = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS: bool = env.bool(
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True
)
SECURE_HSTS_PRELOAD: bool = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp): everything is served from our own origin, so a string from AWS
# that slipped past escaping still could not run a script. Plotly needs inline styles.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# REST API (/api/v1/). Bearer tokens for tools, the browser's session for people.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api.authentication.BearerTokenAuthentication",
        "accounts.api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.api.permissions.TokenScopePermission",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.KeysetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.WatchpostAutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "core.api.renderers.ORJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_THROTTLE_CLASSES": ["accounts.api.throttling.TokenRateThrottle"],
    # Per token; at least 600 a minute so a ticketing tool's poller never meets it.
    "DEFAULT_THROTTLE_RATES": {"token": env.str("WATCHPOST_API_RATE", default="1200/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Watchpost API",
    "DESCRIPTION": "Findings, costs and budgets of every member AWS account. "
    "Authenticate with `Authorization: Bearer <token>`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CollectionSourceEnum": "accounts.choices.Source",
        "OutcomeEnum": "accounts.choices.CheckOutcome",
        "FindingSourceEnum": "findings.choices.FindingSource",
        "FindingStatusEnum": "findings.choices.FindingStatus",
        "SeverityEnum": "findings.choices.Severity",
        "BudgetStatusEnum": "costs.choices.BudgetStatus",
        "WebhookDeliveryStatusEnum": "webhooks.choices.DeliveryStatus",
    },
}

# Celery (https://docs.celeryq.dev/en/stable/userguide/configuration.html).
REDIS_URL: str = env.str("REDIS_URL", default="")
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#task-always-eager
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#task-acks-late
CELERY_TASK_ACKS_LATE = True
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#task-reject-on-worker-lost
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#worker-prefetch-multiplier
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A collection task may run for a long time; the broker must not hand it to a second worker meanwhile.
# https://docs.celeryq.dev/en/stable/getting-started/backends-and-brokers/redis.html#visibility-timeout
CELERY_TASK_TIME_LIMIT: int = env.int("WATCHPOST_TASK_TIME_LIMIT", default=60 * 60)
# The soft limit raises inside the task, which then records `failed` with the reason and releases its
# lock; the hard limit kills it (the sweeper then records it `interrupted`).
# https://docs.celeryq.dev/en/stable/userguide/workers.html#time-limits
CELERY_TASK_SOFT_TIME_LIMIT = max(1, CELERY_TASK_TIME_LIMIT - max(1, CELERY_TASK_TIME_LIMIT // 20))
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT * 2}
CELERY_TIMEZONE = "UTC"

# Cache: Redis when configured (locks shared by every worker host), local memory otherwise.
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# AWS: boto3 reads its own variables (AWS_PROFILE, AWS_ACCESS_KEY_ID, AWS_DEFAULT_REGION,
# AWS_ENDPOINT_URL...). These are ours.
WATCHPOST_AWS_MAX_ATTEMPTS: int = env.int("WATCHPOST_AWS_MAX_ATTEMPTS", default=5)
WATCHPOST_DEFAULT_REGIONS: list[str] = env.list("WATCHPOST_DEFAULT_REGIONS", default=["us-east-1"])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"botocore": {"level": "WARNING"}, "urllib3": {"level": "WARNING"}},
}
# The identity member roles trust (onboarding); default: learned from STS GetCallerIdentity and stored
# in the database (accounts.onboarding; docs/operations.md).
WATCHPOST_HUB_PRINCIPAL_ARN: str = env.str("WATCHPOST_HUB_PRINCIPAL_ARN", default="")

# Webhooks (webhooks app). Targets on private, loopback, link-local or reserved addresses are refused
# unless this is on (tests, a lab network); checked again at each delivery (DNS rebinding).
WATCHPOST_WEBHOOK_ALLOW_PRIVATE: bool = env.bool("WATCHPOST_WEBHOOK_ALLOW_PRIVATE", default=False)
WATCHPOST_WEBHOOK_TIMEOUT: int = env.int("WATCHPOST_WEBHOOK_TIMEOUT", default=10)

# Email (password reset links, the weekly digest): EMAIL_URL as django-environ reads it, e.g.
# smtp+tls://user:password@smtp.example.com:587; the default prints mail on the console in debug
# (the demo) and sends to the local SMTP server otherwise.
# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-email-url
_email = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
EMAIL_BACKEND: str = _email["EMAIL_BACKEND"]
EMAIL_HOST: str = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT: int = int(_email.get("EMAIL_PORT") or 25)
EMAIL_HOST_USER: str = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD: str = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS: bool = bool(_email.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL: bool = bool(_email.get("EMAIL_USE_SSL"))
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL: str = env.str("WATCHPOST_EMAIL_FROM", default="watchpost@localhost")
# Where people open Watchpost: the digest's links start with it.
WATCHPOST_BASE_URL: str = env.str("WATCHPOST_BASE_URL", default="http://localhost:8000")
