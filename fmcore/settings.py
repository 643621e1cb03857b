"""fm-core settings, read from the environment (see the README's configuration table).

Unset DATABASE_URL / REDIS_URL give the embedded default: SQLite, local-memory
cache, in-memory channel layer and a Dramatiq broker served by an in-process
worker. Setting them switches to PostgreSQL and Redis.
"""

import os
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from observability.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


TESTING = "pytest" in sys.modules or env_bool("FMCORE_TESTING")

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-secret-key-change-me-0123456789abcdef"

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
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
}
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
# Under ASGI each request runs in a thread of its own, so CONN_MAX_AGE cannot
# keep a connection between requests (every thread's connection was left open
# until PostgreSQL ran out of slots). A psycopg pool shares connections across
# those threads; with it CONN_MAX_AGE does not apply. Tests use plain connections.
DB_POOL = IS_POSTGRES and env_bool("DB_POOL", default=not TESTING)
if DB_POOL:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": int(os.environ.get("DB_POOL_MIN_SIZE", "2")),
        "max_size": int(os.environ.get("DB_POOL_MAX_SIZE", "10")),
        "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "10")),
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

# --- cache, channel layer, task broker ------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "fmcore"),
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "fmcore.channel_layer.PooledRedisChannelLayer",
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
    DRAMATIQ_BROKER_OPTIONS = {"url": REDIS_URL}
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

DRAMATIQ_BROKER = {
    "BROKER": DRAMATIQ_BROKER_CLASS,
    "OPTIONS": DRAMATIQ_BROKER_OPTIONS,
    "MIDDLEWARE": [
        "dramatiq.middleware.AgeLimit",
        "dramatiq.middleware.TimeLimit",
        "dramatiq.middleware.Callbacks",
        "dramatiq.middleware.Retries",
        # Lets the webhook actor know its last attempt (partners/tasks.py).
        "dramatiq.middleware.CurrentMessage",
        "django_dramatiq.middleware.DbConnectionsMiddleware",
        # After Retries: request ids into messages and out of them; actor log lines and metrics.
        "observability.actors.RequestIdAndMetrics",
        # Lets actors declare `periodic=cron(...)`; `make scheduler` runs the clock.
        "periodiq.PeriodiqMiddleware",
        # Sends what the outbox holds from every worker process (tests relay by hand).
        *([] if TESTING else ["fmcore.outbox_relay.OutboxRelay"]),
    ],
}
# How often each worker process's outbox relay looks for messages the broker missed.
OUTBOX_RELAY_INTERVAL_SECONDS = float(os.environ.get("OUTBOX_RELAY_INTERVAL_SECONDS", "2"))
DRAMATIQ_TASKS_DATABASE = "default"
DRAMATIQ_MAX_RETRIES = int(os.environ.get("DRAMATIQ_MAX_RETRIES", "2" if TESTING else "10"))

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

JWT_SECRET_KEY = os.environ.get("JWT_SECRET_KEY", SECRET_KEY)
JWT_ACCESS_TTL = timedelta(minutes=int(os.environ.get("JWT_ACCESS_MINUTES", "15")))
JWT_REFRESH_TTL = timedelta(days=int(os.environ.get("JWT_REFRESH_DAYS", "7")))
JWT_COOKIE_SECURE = env_bool("JWT_COOKIE_SECURE", default=not DEBUG)
EMAIL_VERIFICATION_TTL = timedelta(hours=int(os.environ.get("EMAIL_VERIFICATION_HOURS", "24")))
PASSWORD_RESET_TTL = timedelta(hours=int(os.environ.get("PASSWORD_RESET_HOURS", "1")))
AUTH_RATE_LIMIT = os.environ.get("AUTH_RATE_LIMIT", "10/m")

SOCIAL_AUTH_GOOGLE_OAUTH2_KEY = os.environ.get("GOOGLE_OAUTH2_KEY", "")
SOCIAL_AUTH_GOOGLE_OAUTH2_SECRET = os.environ.get("GOOGLE_OAUTH2_SECRET", "")
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
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("MAX_REQUEST_BYTES", str(1024 * 1024)))
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- email ------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG or not os.environ.get("ANYMAIL_ESP")
    else f"anymail.backends.{os.environ['ANYMAIL_ESP']}.EmailBackend",
)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "fm-core <no-reply@fmcore.local>")
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in os.environ.items()
    if key.startswith("ANYMAIL_") and key != "ANYMAIL_ESP"
}
FRONTEND_URL = os.environ.get("FRONTEND_URL", "http://localhost:3000").rstrip("/")
# In development a browser app on FRONTEND_URL may call the API (CORS, CSRF,
# websocket handshakes); in production only the origins listed above may.
_FRONTEND_ORIGIN = "{0.scheme}://{0.netloc}".format(urlsplit(FRONTEND_URL))
if DEBUG:
    CORS_ALLOWED_ORIGINS = list(dict.fromkeys([*CORS_ALLOWED_ORIGINS, _FRONTEND_ORIGIN]))
    CSRF_TRUSTED_ORIGINS = list(dict.fromkeys([*CSRF_TRUSTED_ORIGINS, _FRONTEND_ORIGIN]))

# --- commerce -------------------------------------------------------------------
CURRENCY = os.environ.get("CURRENCY", "USD")
TAX_RATE = Decimal(os.environ.get("TAX_RATE", "0"))
MAX_LINE_QUANTITY = int(os.environ.get("MAX_LINE_QUANTITY", "99"))
# Unpaid PENDING orders older than this are cancelled by the clean-up job (stock restored).
PENDING_ORDER_TTL_MINUTES = int(os.environ.get("PENDING_ORDER_TTL_MINUTES", "60"))
CLEANUP_CRON = os.environ.get("CLEANUP_CRON", "*/15 * * * *")

# --- partner apps and webhooks ---------------------------------------------------
# Development only: let webhooks target private, loopback and link-local addresses.
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE")
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
# 5 retries after the first attempt, 1, 2, 4, 8, 16 minutes apart (x1-2 jitter): ~30-60 minutes in all.
WEBHOOK_MAX_RETRIES = int(os.environ.get("WEBHOOK_MAX_RETRIES", "5"))
WEBHOOK_MIN_BACKOFF_MS = int(os.environ.get("WEBHOOK_MIN_BACKOFF_MS", "60000"))
WEBHOOK_MAX_BACKOFF_MS = int(os.environ.get("WEBHOOK_MAX_BACKOFF_MS", "1800000"))

# --- payments (docs/payments.md) ------------------------------------------------------
# A provider whose credentials are missing is reported unavailable, never broken.
PAYMENTS_HTTP_TIMEOUT = float(os.environ.get("PAYMENTS_HTTP_TIMEOUT", "10"))
# Where providers send the buyer back after paying (the frontend's page).
PAYMENTS_RETURN_URL = os.environ.get("PAYMENTS_RETURN_URL", f"{FRONTEND_URL}/checkout/return")
# The public base URL of this API, for providers told the webhook URL per payment (ePayco).
PAYMENTS_PUBLIC_BASE_URL = os.environ.get("PAYMENTS_PUBLIC_BASE_URL", "http://localhost:8000").rstrip("/")
# DUMMY settles without money: on by default only in development and tests.
PAYMENTS_DUMMY_ENABLED = env_bool("PAYMENTS_DUMMY_ENABLED", default=DEBUG or TESTING)
PAYMENTS_DUMMY_WEBHOOK_SECRET = os.environ.get("PAYMENTS_DUMMY_WEBHOOK_SECRET", "")
PAYMENTS_COD_ENABLED = env_bool("PAYMENTS_COD_ENABLED", default=True)
# Payments still PENDING/AUTHORIZED this long after they were opened are settled by
# asking their provider (`reconcile_payments`, and the periodic actor on PAYMENT_RECONCILE_CRON).
PAYMENT_RECONCILE_AFTER_MINUTES = int(os.environ.get("PAYMENT_RECONCILE_AFTER_MINUTES", "30"))
PAYMENT_RECONCILE_CRON = os.environ.get("PAYMENT_RECONCILE_CRON", "*/10 * * * *")
# A payment still open at its provider this long is marked FAILED (abandoned); it can still succeed later.
PAYMENT_ABANDON_AFTER_HOURS = int(os.environ.get("PAYMENT_ABANDON_AFTER_HOURS", "24"))

STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_FLOW = os.environ.get("STRIPE_FLOW", "checkout")  # "checkout" (hosted page) or "payment_intent"
STRIPE_WEBHOOK_TOLERANCE = int(os.environ.get("STRIPE_WEBHOOK_TOLERANCE", "300"))

PAYPAL_CLIENT_ID = os.environ.get("PAYPAL_CLIENT_ID", "")
PAYPAL_CLIENT_SECRET = os.environ.get("PAYPAL_CLIENT_SECRET", "")
PAYPAL_WEBHOOK_ID = os.environ.get("PAYPAL_WEBHOOK_ID", "")
PAYPAL_API_BASE = os.environ.get(
    "PAYPAL_API_BASE",
    "https://api-m.paypal.com" if os.environ.get("PAYPAL_ENV") == "live" else "https://api-m.sandbox.paypal.com",
)

MAYA_PUBLIC_KEY = os.environ.get("MAYA_PUBLIC_KEY", "")
MAYA_SECRET_KEY = os.environ.get("MAYA_SECRET_KEY", "")
_MAYA_LIVE = os.environ.get("MAYA_ENV") == "production"
MAYA_API_BASE = os.environ.get(
    "MAYA_API_BASE", "https://pg.maya.ph" if _MAYA_LIVE else "https://pg-sandbox.paymaya.com"
)
# Maya's published webhook source addresses; "*" turns the address check off (the lookup still applies).
MAYA_WEBHOOK_IPS = env_list(
    "MAYA_WEBHOOK_IPS", "18.138.50.235,3.1.207.200" if _MAYA_LIVE else "13.229.160.234,3.1.199.75"
)
# The header a trusted reverse proxy sets to the client address (e.g. X-Real-IP); empty = REMOTE_ADDR.
MAYA_WEBHOOK_IP_HEADER = os.environ.get("MAYA_WEBHOOK_IP_HEADER", "")

EPAYCO_CUST_ID = os.environ.get("EPAYCO_CUST_ID", "")  # P_CUST_ID_CLIENTE
EPAYCO_P_KEY = os.environ.get("EPAYCO_P_KEY", "")
EPAYCO_PUBLIC_KEY = os.environ.get("EPAYCO_PUBLIC_KEY", "")
EPAYCO_TEST = env_bool("EPAYCO_TEST", default=True)
EPAYCO_VALIDATION_URL = os.environ.get("EPAYCO_VALIDATION_URL", "https://secure.epayco.co/validation/v1/reference/")

# --- GraphQL ----------------------------------------------------------------------
STRAWBERRY_DJANGO = {
    "MUTATIONS_DEFAULT_HANDLE_ERRORS": True,
    "FIELD_DESCRIPTION_FROM_HELP_TEXT": True,
    "TYPE_DESCRIPTION_FROM_MODEL_DOCSTRING": True,
    "PAGINATION_DEFAULT_LIMIT": 100,
}
GRAPHQL_MAX_RESULTS = int(os.environ.get("GRAPHQL_MAX_RESULTS", "100"))
GRAPHQL_MAX_DEPTH = int(os.environ.get("GRAPHQL_MAX_DEPTH", "10"))
GRAPHQL_MAX_ALIASES = int(os.environ.get("GRAPHQL_MAX_ALIASES", "30"))
GRAPHQL_MAX_TOKENS = int(os.environ.get("GRAPHQL_MAX_TOKENS", "2000"))
GRAPHQL_MAX_MUTATIONS = int(os.environ.get("GRAPHQL_MAX_MUTATIONS", "5"))
# Introspection, GraphiQL and "did you mean" suggestions: on in DEBUG, else opt-in.
GRAPHQL_INTROSPECTION = env_bool("GRAPHQL_INTROSPECTION", default=DEBUG or TESTING)
# `only`: run nothing but documents registered with `manage.py register_documents`.
GRAPHQL_TRUSTED_DOCUMENTS = os.environ.get("GRAPHQL_TRUSTED_DOCUMENTS", "off")
if GRAPHQL_TRUSTED_DOCUMENTS not in ("off", "only"):
    raise ImproperlyConfigured("GRAPHQL_TRUSTED_DOCUMENTS must be `off` or `only`.")
# `Cache-Control: public, max-age` of anonymous catalog queries over GET (0: none).
GRAPHQL_GET_MAX_AGE = int(os.environ.get("GRAPHQL_GET_MAX_AGE", "60"))

# The benchmark's hand-written baseline views (bench/baseline.py): never on in production.
BENCH_BASELINE = env_bool("BENCH_BASELINE")

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
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if DEBUG else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured("LOG_FORMAT must be json or text.")
LOGGING = logging_config(log_format=LOG_FORMAT, level=os.environ.get("LOG_LEVEL", "INFO"))
# `/metrics` answers only `Authorization: Bearer <METRICS_TOKEN>`; unset, it is a 404.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
# Tracing is on when this is set (the OTLP/HTTP collector, e.g. http://otel-collector:4318).
OTEL_EXPORTER_OTLP_ENDPOINT = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "")
OTEL_SERVICE_NAME = os.environ.get("OTEL_SERVICE_NAME", "fm-core")
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
SENTRY_ENVIRONMENT = os.environ.get("SENTRY_ENVIRONMENT", "production")
# `/health/ready` fails when an unsent outbox message is older than this (the relay or broker is stuck).
HEALTH_OUTBOX_MAX_AGE_SECONDS = int(os.environ.get("HEALTH_OUTBOX_MAX_AGE_SECONDS", "300"))
