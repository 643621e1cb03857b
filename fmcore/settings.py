"""fm-core settings, read from the environment (see the README's configuration table).

Unset DATABASE_URL / REDIS_URL give the embedded default: SQLite, local-memory
cache, in-memory channel layer and a Dramatiq broker served by an in-process
worker. Setting them switches to PostgreSQL and Redis.
"""

import base64
import hashlib
import importlib.util
import logging
import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from dramatiq.middleware import TimeLimit
from marshmallow import ValidationError
from marshmallow.validate import URL, OneOf, Range, Regexp

from infra.environment import NOT_NEGATIVE, POSITIVE, env_reader, env_validate, fernet_key_problem, secret_key_problem
from observability.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
env = env_reader()
HTTP_URL = URL(require_tld=False, schemes={"http", "https"})


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env.list(name, default.split(","), subcast=str) if item.strip()]


# The suite's defaults (fast hashing, no pool, no relay thread, ...), chosen by tests/settings.py.
TESTING = env.bool("FMCORE_TESTING", False)

DEBUG = env.bool("DEBUG", False)

# Problems no single variable's parser sees (name: what is wrong), reported with theirs at the end.
CONFIGURATION_PROBLEMS: dict[str, str] = {}

SECRET_KEY = env.str("SECRET_KEY", "")
if not (DEBUG or TESTING) and (problem := secret_key_problem(SECRET_KEY)):
    CONFIGURATION_PROBLEMS["SECRET_KEY"] = problem
SECRET_KEY = SECRET_KEY or "dev-only-insecure-secret-key-change-me-0123456789abcdef"


def secret_key_fallbacks(name: str) -> list[str]:
    """Former signing keys, still accepted when verifying, while a rotation overlaps."""
    keys = env_list(name)
    for position, key in enumerate(keys, 1):
        if not (DEBUG or TESTING) and (problem := secret_key_problem(key)):
            CONFIGURATION_PROBLEMS[name] = f"key {position}: {problem}"
    return keys


# Django's signing (email links, sessions) also verifies with these.
SECRET_KEY_FALLBACKS = secret_key_fallbacks("SECRET_KEY_FALLBACKS")


def field_encryption_keys() -> list[str]:
    """FIELD_ENCRYPTION_KEY: Fernet keys, comma-separated, for secrets stored encrypted
    (infra/encryption.py). The first encrypts; all decrypt, so a new key goes first
    and the old one stays after it until every row is re-encrypted."""
    keys = env_list("FIELD_ENCRYPTION_KEY")
    if not keys and (DEBUG or TESTING):
        # Development only: derived from SECRET_KEY, so a dev database stays readable.
        digest = hashlib.sha256(f"fm-core field encryption {SECRET_KEY}".encode()).digest()
        return [base64.urlsafe_b64encode(digest).decode()]
    if not keys:
        CONFIGURATION_PROBLEMS["FIELD_ENCRYPTION_KEY"] = "must be set when DEBUG is off"
    for position, key in enumerate(keys, 1):
        if problem := fernet_key_problem(key):
            CONFIGURATION_PROBLEMS["FIELD_ENCRYPTION_KEY"] = f"key {position}: {problem}"
    return keys


FIELD_ENCRYPTION_KEYS = field_encryption_keys()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "channels",
    "django_dramatiq",
    "social_django",
    # Before strawberry_django, whose export_schema command ours replaces.
    "fmcore",
    "infra",
    "strawberry_django",
    "accounts",
    "commerce",
    "partners",
    "observability",
]

# The email is unique case-insensitively through a functional constraint.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]

MIDDLEWARE = [
    # First: request ids on every response, and the probes before host validation.
    "observability.middleware.RequestObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "fmcore.urls"
ASGI_APPLICATION = "fmcore.asgi.application"

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
            ],
        },
    },
]

# --- database -----------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env.str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env.int("CONN_MAX_AGE", 0, validate=NOT_NEGATIVE),
        conn_health_checks=True,
    )
}
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
# Under ASGI each request runs in a thread of its own, so CONN_MAX_AGE cannot
# keep a connection between requests (every thread's connection was left open
# until PostgreSQL ran out of slots). A psycopg pool shares connections across
# those threads; with it CONN_MAX_AGE does not apply. Tests use plain connections.
# With conn_health_checks (above) Django creates the pool with
# `check=ConnectionPool.check_connection`: a pooled connection is tested before
# it is lent, so one killed by a database restart is replaced, not served
# (tests/system/test_database_outage.py). Naming `check` here too would be a TypeError.
DB_POOL = IS_POSTGRES and env.bool("DB_POOL", not TESTING)
if DB_POOL:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN_SIZE", 2, validate=NOT_NEGATIVE),
        "max_size": env.int("DB_POOL_MAX_SIZE", 10, validate=POSITIVE),
        "timeout": env.float("DB_POOL_TIMEOUT", 10.0, validate=POSITIVE),
    }
if not IS_POSTGRES:
    # SQLite serialises writers. A deferred transaction that reads, then writes
    # while another connection (the in-process worker) writes, fails at once
    # ("database is locked") whatever the timeout: IMMEDIATE takes the write
    # lock at BEGIN, so writers queue for up to `timeout` seconds instead. WAL
    # lets reads go on during a write.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20,
        transaction_mode="IMMEDIATE",
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Behind PgBouncer in transaction pooling mode, server-side cursors (`.iterator()`) break:
# each FETCH can land on another server connection.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DISABLE_SERVER_SIDE_CURSORS", False)

# --- cache, channel layer, task broker ------------------------------------------
REDIS_URL = env.str("REDIS_URL", "", validate=URL(require_tld=False, schemes={"redis", "rediss", "unix"}))

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", "fmcore"),
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "infra.channel_layer.PooledRedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        # A consumer waits for messages with BZPOPMIN for up to 5 s; redis-py's
                        # default socket timeout is 5 s too, and losing that race killed idle
                        # websocket consumers (close 1011). Reads must outlast the wait.
                        "socket_timeout": 30,
                        # Per process and event loop; a full pool makes commands wait, not fail.
                        "max_connections": int(os.environ.get("CHANNEL_LAYER_MAX_CONNECTIONS", "50")),
                        "timeout": float(os.environ.get("CHANNEL_LAYER_POOL_TIMEOUT", "20")),
                    }
                ],
                "prefix": os.environ.get("CHANNEL_LAYER_PREFIX", "asgi"),
            },
        }
    }
    DRAMATIQ_BROKER_CLASS = "dramatiq.brokers.redis.RedisBroker"
    DRAMATIQ_BROKER_OPTIONS = {
        "url": REDIS_URL,
        # A worker that stopped heartbeating this long is dead: its unacked messages
        # go back to the queue at the next maintenance. Every worker process heartbeats
        # about once a second (each idle consumer's fetch), busy or not.
        "heartbeat_timeout": env.int("DRAMATIQ_HEARTBEAT_TIMEOUT_MS", 30000, validate=POSITIVE),
        # Maintenance runs on this many fetches in a million; the default (1000) left a
        # SIGKILLed worker's message in limbo ~20 minutes. It is two cheap lookups.
        "maintenance_chance": env.int("DRAMATIQ_MAINTENANCE_CHANCE", 100000, validate=Range(min=1, max=1_000_000)),
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    DRAMATIQ_BROKER_CLASS = "dramatiq.brokers.stub.StubBroker"
    DRAMATIQ_BROKER_OPTIONS = {}

# Tests drive actors themselves (tests/conftest.py), so they always use the stub broker.
if TESTING:
    DRAMATIQ_BROKER_CLASS = "dramatiq.brokers.stub.StubBroker"
    DRAMATIQ_BROKER_OPTIONS = {}

# Without Redis there is no separate worker: the serving process runs one (fmcore/asgi.py).
DRAMATIQ_IN_PROCESS_WORKER = not REDIS_URL and not TESTING

DRAMATIQ_TIME_LIMIT_MS = env.int("DRAMATIQ_TIME_LIMIT_MS", 120000, validate=POSITIVE)
# Touched by a live worker (every few seconds) and scheduler (at each enqueue): infra/liveness.py.
LIVENESS_FILE = env.str("LIVENESS_FILE", str(BASE_DIR / "var" / "alive"))

DRAMATIQ_BROKER = {
    "BROKER": DRAMATIQ_BROKER_CLASS,
    "OPTIONS": DRAMATIQ_BROKER_OPTIONS,
    "MIDDLEWARE": [
        "dramatiq.middleware.AgeLimit",
        # Actors without a time_limit of their own get this one; the worker's
        # --worker-shutdown-timeout and compose's stop_grace_period outlast it.
        TimeLimit(time_limit=DRAMATIQ_TIME_LIMIT_MS),
        "dramatiq.middleware.Callbacks",
        "dramatiq.middleware.Retries",
        # Lets the webhook actor know its last attempt (partners/tasks.py).
        "dramatiq.middleware.CurrentMessage",
        "django_dramatiq.middleware.DbConnectionsMiddleware",
        # After Retries: request ids into messages and out of them; actor log lines and metrics.
        "observability.actors.RequestIdAndMetrics",
        # The worker container's /metrics, on WORKER_METRICS_PORT (observability/worker_metrics.py).
        "observability.worker_metrics.WorkerMetricsServer",
        # Lets actors declare `periodic=cron(...)`; `make scheduler` runs the clock.
        "periodiq.PeriodiqMiddleware",
        # Sends what the outbox holds from every worker process (tests relay by hand).
        *([] if TESTING else ["infra.outbox_relay.OutboxRelay"]),
        # The worker's and the scheduler's liveness signal for their health checks.
        "infra.liveness.LivenessFile",
    ],
}
# How often each worker process's outbox relay looks for messages the broker missed.
OUTBOX_RELAY_INTERVAL_SECONDS = env.float("OUTBOX_RELAY_INTERVAL_SECONDS", 2.0, validate=Range(min=0.1))
DRAMATIQ_TASKS_DATABASE = "default"
# Event streams (commerce/event_stream.py): how far back `after` may resume
# (older: CURSOR_EXPIRED), and the stock levels productAvailabilityChanged reports.
ORDER_EVENT_RETENTION_SECONDS = env.int("ORDER_EVENT_RETENTION_SECONDS", 7 * 24 * 3600, validate=POSITIVE)
LOW_STOCK_THRESHOLD = env.int("LOW_STOCK_THRESHOLD", 5, validate=NOT_NEGATIVE)
# A subscriber gets at most one availability event per product per interval (the latest state).
PRODUCT_AVAILABILITY_THROTTLE_SECONDS = env.float("PRODUCT_AVAILABILITY_THROTTLE_SECONDS", 1.0, validate=Range(min=0))
DRAMATIQ_MAX_RETRIES = env.int("DRAMATIQ_MAX_RETRIES", 2 if TESTING else 10, validate=NOT_NEGATIVE)

# --- auth -----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "social_core.backends.google.GoogleOAuth2",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
if TESTING:
    # Argon2 is slow by design; tests hash hundreds of passwords.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

JWT_SECRET_KEY = env.str("JWT_SECRET_KEY", SECRET_KEY)
if "JWT_SECRET_KEY" in os.environ and not (DEBUG or TESTING) and (problem := secret_key_problem(JWT_SECRET_KEY)):
    CONFIGURATION_PROBLEMS["JWT_SECRET_KEY"] = problem
# Access tokens signed with these still verify; new ones are signed with JWT_SECRET_KEY.
# Without a JWT_SECRET_KEY of their own, access tokens follow SECRET_KEY's rotation.
JWT_SECRET_KEY_FALLBACKS = secret_key_fallbacks("JWT_SECRET_KEY_FALLBACKS") or (
    [] if "JWT_SECRET_KEY" in os.environ else SECRET_KEY_FALLBACKS
)
JWT_ACCESS_TTL = env.minutes("JWT_ACCESS_MINUTES", "15")
JWT_REFRESH_TTL = env.days("JWT_REFRESH_DAYS", "7")
# A logout refuses its access token through the session's refresh rows, which must outlive it
# (a variable that failed to parse is reported by env_validate instead).
_jwt_ttls = (JWT_ACCESS_TTL, JWT_REFRESH_TTL)
if all(isinstance(ttl, timedelta) for ttl in _jwt_ttls) and JWT_REFRESH_TTL < JWT_ACCESS_TTL:
    CONFIGURATION_PROBLEMS["JWT_REFRESH_DAYS"] = "refresh tokens must live at least as long as access tokens"
JWT_COOKIE_SECURE = env.bool("JWT_COOKIE_SECURE", not DEBUG)
EMAIL_VERIFICATION_TTL = env.hours("EMAIL_VERIFICATION_HOURS", "24")
PASSWORD_RESET_TTL = env.hours("PASSWORD_RESET_HOURS", "1")
AUTH_RATE_LIMIT = env.rate("AUTH_RATE_LIMIT", "10/m")

SOCIAL_AUTH_GOOGLE_OAUTH2_KEY = env.str("GOOGLE_OAUTH2_KEY", "")
SOCIAL_AUTH_GOOGLE_OAUTH2_SECRET = env.str("GOOGLE_OAUTH2_SECRET", "")
SOCIAL_AUTH_USER_MODEL = AUTH_USER_MODEL
SOCIAL_AUTH_USERNAME_IS_FULL_EMAIL = True
SOCIAL_AUTH_GOOGLE_OAUTH2_USE_UNIQUE_USER_ID = True
SOCIAL_AUTH_JSONFIELD_ENABLED = True
SOCIAL_AUTH_PIPELINE = (
    "social_core.pipeline.social_auth.social_details",
    "social_core.pipeline.social_auth.social_uid",
    "social_core.pipeline.social_auth.auth_allowed",
    "social_core.pipeline.social_auth.social_user",
    "accounts.social.link_or_create_user",
    "social_core.pipeline.social_auth.associate_user",
    "social_core.pipeline.social_auth.load_extra_data",
)

# --- HTTP, CORS, CSRF -------------------------------------------------------------
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_ALLOW_CREDENTIALS = True
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
CSRF_COOKIE_SECURE = JWT_COOKIE_SECURE
SESSION_COOKIE_SECURE = JWT_COOKIE_SECURE
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("MAX_REQUEST_BYTES", 1024 * 1024, validate=POSITIVE)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# TLS ends at the proxy in front (docs/operations.md): redirect plain HTTP and send HSTS
# unless DEBUG. Health probes and scrapes reach the process over plain HTTP directly.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", not (DEBUG or TESTING))
SECURE_REDIRECT_EXEMPT = env_list("SECURE_REDIRECT_EXEMPT", r"^health,^metrics")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, validate=NOT_NEGATIVE)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", False)
# The header the proxy sets to the original scheme, e.g. X-Forwarded-Proto; only behind a
# proxy that overwrites it (clients could send it themselves otherwise).
_SSL_HEADER = env.str("SECURE_PROXY_SSL_HEADER", "")
if _SSL_HEADER:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _SSL_HEADER.upper().replace("-", "_"), "https")

# --- email ------------------------------------------------------------------------


def _anymail_provider(esp: str) -> None:
    if esp and importlib.util.find_spec(f"anymail.backends.{esp}") is None:
        raise ValidationError(f"{esp!r} is not a django-anymail provider (e.g. mailgun, sendgrid, postmark)")


ANYMAIL_ESP = env.str("ANYMAIL_ESP", "", validate=_anymail_provider)
_EMAIL_BACKEND = env.str("EMAIL_BACKEND", "")
# Without an explicit backend, verification and password-reset links would only reach the log.
if not (DEBUG or TESTING or _EMAIL_BACKEND or ANYMAIL_ESP):
    CONFIGURATION_PROBLEMS["EMAIL_BACKEND"] = "set EMAIL_BACKEND or ANYMAIL_ESP when DEBUG is off"
EMAIL_BACKEND = _EMAIL_BACKEND or (
    f"anymail.backends.{ANYMAIL_ESP}.EmailBackend"
    if ANYMAIL_ESP and not DEBUG
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "fm-core <no-reply@fmcore.local>")
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in os.environ.items()
    if key.startswith("ANYMAIL_") and key != "ANYMAIL_ESP"
}
FRONTEND_URL = env.str("FRONTEND_URL", "http://localhost:3000", validate=HTTP_URL).rstrip("/")
# In development a browser app on FRONTEND_URL may call the API (CORS, CSRF,
# websocket handshakes); in production only the origins listed above may.
_FRONTEND_ORIGIN = "{0.scheme}://{0.netloc}".format(urlsplit(FRONTEND_URL))
if DEBUG:
    CORS_ALLOWED_ORIGINS = list(dict.fromkeys([*CORS_ALLOWED_ORIGINS, _FRONTEND_ORIGIN]))
    CSRF_TRUSTED_ORIGINS = list(dict.fromkeys([*CSRF_TRUSTED_ORIGINS, _FRONTEND_ORIGIN]))

# --- commerce -------------------------------------------------------------------
CURRENCY = env.str(
    "CURRENCY", "USD", validate=Regexp(r"^[A-Z]{3}$", error="expected a 3-letter ISO 4217 code such as USD")
)
TAX_RATE = env.decimal("TAX_RATE", Decimal("0"), validate=Range(min=0, max=1))
# Whether TAX_RATE applies to the shipping price too (it always applies to subtotal - discount).
TAX_SHIPPING = env.bool("TAX_SHIPPING", True)
MAX_LINE_QUANTITY = env.int("MAX_LINE_QUANTITY", 99, validate=POSITIVE)
# Unpaid PENDING orders older than this are cancelled by the clean-up job (stock restored).
PENDING_ORDER_TTL_MINUTES = env.int("PENDING_ORDER_TTL_MINUTES", 60, validate=POSITIVE)
# Guest checkout: a guest cart untouched this long no longer opens and is deleted by the clean-up;
# createGuestCart and guestCheckout are throttled per client IP (and guestCheckout per email).
GUEST_CART_TTL_DAYS = env.int("GUEST_CART_TTL_DAYS", 30, validate=POSITIVE)
GUEST_RATE_LIMIT = env.rate("GUEST_RATE_LIMIT", "20/m")
CLEANUP_CRON = env.cron("CLEANUP_CRON", "*/15 * * * *")
# Housekeeping (docs/operations.md): sent outbox rows, finished webhook deliveries and
# sent-email records older than their retention are deleted in batches.
HOUSEKEEPING_CRON = env.cron("HOUSEKEEPING_CRON", "17 3 * * *")
OUTBOX_RETENTION = env.days("OUTBOX_RETENTION_DAYS", "7")
WEBHOOK_DELIVERY_RETENTION = env.days("WEBHOOK_DELIVERY_RETENTION_DAYS", "30")
SENT_EMAIL_RETENTION = env.days("SENT_EMAIL_RETENTION_DAYS", "90")
PURGE_BATCH_SIZE = env.int("PURGE_BATCH_SIZE", 1000, validate=POSITIVE)

# --- partner apps and webhooks ---------------------------------------------------
# Development only: let webhooks target private, loopback and link-local addresses.
WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", False)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", 10.0, validate=Range(min=0, min_inclusive=False))
# 5 retries after the first attempt, 1, 2, 4, 8, 16 minutes apart (x1-2 jitter): ~30-60 minutes in all.
WEBHOOK_MAX_RETRIES = env.int("WEBHOOK_MAX_RETRIES", 5, validate=NOT_NEGATIVE)
WEBHOOK_MIN_BACKOFF_MS = env.int("WEBHOOK_MIN_BACKOFF_MS", 60000, validate=POSITIVE)
WEBHOOK_MAX_BACKOFF_MS = env.int("WEBHOOK_MAX_BACKOFF_MS", 1800000, validate=POSITIVE)
# After `rotateWebhookSecret`, deliveries are signed with the old secret too for this long.
WEBHOOK_SECRET_OVERLAP = env.hours("WEBHOOK_SECRET_OVERLAP_HOURS", "24")

# --- payments (docs/payments.md) ------------------------------------------------------
# A provider whose credentials are missing is reported unavailable, never broken.
PAYMENTS_HTTP_TIMEOUT = env.float("PAYMENTS_HTTP_TIMEOUT", 10.0, validate=Range(min=0, min_inclusive=False))
# Where providers send the buyer back after paying (the frontend's page).
PAYMENTS_RETURN_URL = env.str("PAYMENTS_RETURN_URL", f"{FRONTEND_URL}/checkout/return", validate=HTTP_URL)
# The public base URL of this API, for providers told the webhook URL per payment (ePayco).
PAYMENTS_PUBLIC_BASE_URL = env.str("PAYMENTS_PUBLIC_BASE_URL", "http://localhost:8000", validate=HTTP_URL).rstrip("/")
# DUMMY settles without money: on by default only in development and tests.
PAYMENTS_DUMMY_ENABLED = env.bool("PAYMENTS_DUMMY_ENABLED", DEBUG or TESTING)
PAYMENTS_DUMMY_WEBHOOK_SECRET = env.str("PAYMENTS_DUMMY_WEBHOOK_SECRET", "")
PAYMENTS_COD_ENABLED = env.bool("PAYMENTS_COD_ENABLED", True)
# Payments still PENDING/AUTHORIZED this long after they were opened are settled by
# asking their provider (`reconcile_payments`, and the periodic actor on PAYMENT_RECONCILE_CRON).
PAYMENT_RECONCILE_AFTER_MINUTES = env.int("PAYMENT_RECONCILE_AFTER_MINUTES", 30, validate=POSITIVE)
PAYMENT_RECONCILE_CRON = env.cron("PAYMENT_RECONCILE_CRON", "*/10 * * * *")
# A payment still open at its provider this long is marked FAILED (abandoned); it can still succeed later.
PAYMENT_ABANDON_AFTER_HOURS = env.int("PAYMENT_ABANDON_AFTER_HOURS", 24, validate=POSITIVE)

STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", "")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_FLOW = env.str("STRIPE_FLOW", "checkout", validate=OneOf(["checkout", "payment_intent"]))
STRIPE_WEBHOOK_TOLERANCE = env.int("STRIPE_WEBHOOK_TOLERANCE", 300, validate=POSITIVE)

PAYPAL_CLIENT_ID = env.str("PAYPAL_CLIENT_ID", "")
PAYPAL_CLIENT_SECRET = env.str("PAYPAL_CLIENT_SECRET", "")
PAYPAL_WEBHOOK_ID = env.str("PAYPAL_WEBHOOK_ID", "")
PAYPAL_API_BASE = env.str(
    "PAYPAL_API_BASE",
    "https://api-m.paypal.com" if env.str("PAYPAL_ENV", "sandbox") == "live" else "https://api-m.sandbox.paypal.com",
    validate=HTTP_URL,
)

MAYA_PUBLIC_KEY = env.str("MAYA_PUBLIC_KEY", "")
MAYA_SECRET_KEY = env.str("MAYA_SECRET_KEY", "")
_MAYA_LIVE = env.str("MAYA_ENV", "sandbox") == "production"
MAYA_API_BASE = env.str(
    "MAYA_API_BASE", "https://pg.maya.ph" if _MAYA_LIVE else "https://pg-sandbox.paymaya.com", validate=HTTP_URL
)
# Maya's published webhook source addresses; "*" turns the address check off (the lookup still applies).
MAYA_WEBHOOK_IPS = env_list(
    "MAYA_WEBHOOK_IPS", "18.138.50.235,3.1.207.200" if _MAYA_LIVE else "13.229.160.234,3.1.199.75"
)
# The header a trusted reverse proxy sets to the client address (e.g. X-Real-IP); empty = REMOTE_ADDR.
MAYA_WEBHOOK_IP_HEADER = env.str("MAYA_WEBHOOK_IP_HEADER", "")

EPAYCO_CUST_ID = env.str("EPAYCO_CUST_ID", "")  # P_CUST_ID_CLIENTE
EPAYCO_P_KEY = env.str("EPAYCO_P_KEY", "")
EPAYCO_PUBLIC_KEY = env.str("EPAYCO_PUBLIC_KEY", "")
EPAYCO_TEST = env.bool("EPAYCO_TEST", True)
EPAYCO_VALIDATION_URL = env.str(
    "EPAYCO_VALIDATION_URL", "https://secure.epayco.co/validation/v1/reference/", validate=HTTP_URL
)

# --- GraphQL ----------------------------------------------------------------------
STRAWBERRY_DJANGO = {
    "MUTATIONS_DEFAULT_HANDLE_ERRORS": True,
    "FIELD_DESCRIPTION_FROM_HELP_TEXT": True,
    "TYPE_DESCRIPTION_FROM_MODEL_DOCSTRING": True,
    "PAGINATION_DEFAULT_LIMIT": 100,
}
GRAPHQL_MAX_RESULTS = env.int("GRAPHQL_MAX_RESULTS", 100, validate=POSITIVE)
GRAPHQL_MAX_DEPTH = env.int("GRAPHQL_MAX_DEPTH", 10, validate=POSITIVE)
GRAPHQL_MAX_ALIASES = env.int("GRAPHQL_MAX_ALIASES", 30, validate=POSITIVE)
GRAPHQL_MAX_TOKENS = env.int("GRAPHQL_MAX_TOKENS", 2000, validate=POSITIVE)
GRAPHQL_MAX_MUTATIONS = env.int("GRAPHQL_MAX_MUTATIONS", 5, validate=POSITIVE)
# Input limits (schema/input_limits.py) and the query cost model (schema/query_cost.py).
GRAPHQL_MAX_LIST_LENGTH = env.int("GRAPHQL_MAX_LIST_LENGTH", 100, validate=POSITIVE)
GRAPHQL_MAX_INPUT_DEPTH = env.int("GRAPHQL_MAX_INPUT_DEPTH", 10, validate=POSITIVE)
GRAPHQL_MAX_COST = env.int("GRAPHQL_MAX_COST", 50000, validate=POSITIVE)
# Operations one websocket may run at once (subscriptions included): with the per-subscription
# throttles, what bounds the events one connection can ask for.
GRAPHQL_MAX_SUBSCRIPTIONS = env.int("GRAPHQL_MAX_SUBSCRIPTIONS", 20, validate=POSITIVE)
# Introspection, GraphiQL and "did you mean" suggestions: on in DEBUG, else opt-in.
GRAPHQL_INTROSPECTION = env.bool("GRAPHQL_INTROSPECTION", DEBUG or TESTING)
# `only`: run nothing but documents registered with `manage.py register_documents`.
GRAPHQL_TRUSTED_DOCUMENTS = env.str("GRAPHQL_TRUSTED_DOCUMENTS", "off", validate=OneOf(["off", "only"]))
# `Cache-Control: public, max-age` of anonymous catalog queries over GET (0: none).
GRAPHQL_GET_MAX_AGE = env.int("GRAPHQL_GET_MAX_AGE", 60, validate=NOT_NEGATIVE)

# --- i18n, static ---------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Without collectstatic (development, tests) WhiteNoise serves from the apps.
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING

# --- observability (docs/operations.md) ---------------------------------------------
LOG_FORMAT = env.str("LOG_FORMAT", "text" if DEBUG else "json", validate=OneOf(["json", "text"]))
LOGGING = logging_config(log_format=LOG_FORMAT, level=env.log_level("LOG_LEVEL", logging.INFO))
# `/metrics` answers only `Authorization: Bearer <METRICS_TOKEN>`; unset, it is a 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", "")
# A Dramatiq worker serves its processes' metrics on this port (0: it does not); same token.
WORKER_METRICS_PORT = env.int("WORKER_METRICS_PORT", 0, validate=Range(min=0, max=65535))
if WORKER_METRICS_PORT and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    CONFIGURATION_PROBLEMS["WORKER_METRICS_PORT"] = "needs PROMETHEUS_MULTIPROC_DIR, where the worker processes write"
# Tracing is on when this is set (the OTLP/HTTP collector, e.g. http://otel-collector:4318).
OTEL_EXPORTER_OTLP_ENDPOINT = env.str("OTEL_EXPORTER_OTLP_ENDPOINT", "", validate=lambda v: not v or HTTP_URL(v))
OTEL_SERVICE_NAME = env.str("OTEL_SERVICE_NAME", "fm-core")
SENTRY_DSN = env.str("SENTRY_DSN", "")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", "production")
# `/health/ready` fails when an unsent outbox message is older than this (the relay or broker is stuck).
HEALTH_OUTBOX_MAX_AGE_SECONDS = env.int("HEALTH_OUTBOX_MAX_AGE_SECONDS", 300, validate=POSITIVE)

# Keep last: reports every invalid variable at once and refuses to start.
env_validate(env, CONFIGURATION_PROBLEMS)
