"""Settings of the Joint Operations Portal, read from environment variables only.

Every variable is listed in README.md. A malformed value stops start-up with a message
naming the variable, rather than running with a silent fallback.
"""

import hashlib
from datetime import timedelta
from pathlib import Path

import environ
import xstatic.pkg.leaflet
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


def _typed(kind, name, **kwargs):
    """Read one variable through django-environ, naming it when its value is unusable."""
    try:
        return getattr(env, kind)(name, **kwargs)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"Environment variable {name} has an invalid value: {exc}") from exc


def env_bool(name, default):
    raw = env.str(name, default="")
    if raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(
        f"Environment variable {name} must be a boolean (true/false, 1/0, yes/no, on/off), got {raw!r}."
    )


def env_int(name, default, minimum=None):
    value = _typed("int", name, default=default)
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"Environment variable {name} must be at least {minimum}, got {value}.")
    return value


VAR_DIR = Path(env.str("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
DEMO_MODE = env_bool("DEMO_MODE", DEBUG)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (use a random string of at least 50 characters)."
        )
    SECRET_KEY = "insecure-development-only-key-never-use-in-production-0123456789"  # noqa: S105

# The key of the hit/no-hit index: identifiers of incidents are kept there as HMAC-SHA256 digests
# under it (`incidents.identifiers`). Set once per deployment and kept: there is no rotation, and
# a new key means computing every digest again. In development it is derived from SECRET_KEY.
EXCHANGE_HASH_KEY = env.str("EXCHANGE_HASH_KEY", default="")
if not EXCHANGE_HASH_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "EXCHANGE_HASH_KEY must be set when DEBUG is off (use a random string of at least 50 characters, "
            "other than SECRET_KEY, and keep it: the hit/no-hit index is computed with it)."
        )
    EXCHANGE_HASH_KEY = hashlib.sha256(b"exchange-hash-key\x00" + SECRET_KEY.encode()).hexdigest()

ALLOWED_HOSTS = _typed("list", "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = _typed("list", "CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "portal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.forms",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "portal",
    "agreements",
    "borders",
    "incidents",
    "alerts",
    "training",
    "exchange",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the database: a NUL byte in the query string is a 500 on PostgreSQL.
    "portal.middleware.UnstorableInputMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.SessionIdleMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.backends.PortalOTPMiddleware",
    "portal.middleware.MFARequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Form widgets are rendered with the project's templates, so templates/django/forms/ can
# override Django's own (the select widget, for speed).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": _typed("db", "DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite does not create the folder of its file; a fresh clone has no var/ yet.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # IMMEDIATE transactions take the write lock up front, so two processes (web and worker)
    # never both read the audit chain head and then race to extend it.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so that a worker process started by a test sees the same data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-portal.sqlite3")}
else:
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, with time stamps parsed by psycopg's compiled loader.
        DATABASES["default"]["ENGINE"] = "portal.postgresql"
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": _typed("cache_url", "CACHE_URL", default="locmemcache://")}

# --- Identity and access ---------------------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "portal.backends.PortalModelBackend",
    "portal.backends.GatedObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3 * 24 * 3600, minimum=600)

# Sessions end after this many seconds without a request (idle timeout).
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_TIMEOUT", 30 * 60, minimum=60)
# The idle timeout is kept by portal.middleware.SessionIdleMiddleware, which refreshes the expiry
# at most this often rather than writing the session on every request.
SESSION_SAVE_EVERY_REQUEST = False
# Django's database sessions, read with one plain statement (portal/sessions.py).
SESSION_ENGINE = "portal.sessions"
SESSION_REFRESH_SECONDS = min(60, SESSION_COOKIE_AGE // 10)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Object permissions are granted to per-country groups; there is no anonymous user.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Joint Operations Portal")
OTP_TOTP_THROTTLE_FACTOR = 1

AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 60, minimum=1))
# Lockout is per account. Locking by address too would lock out a whole crossing point whose
# officers share one NAT address whenever one of them mistypes, so axes' W006 is silenced.
AXES_LOCKOUT_PARAMETERS = ["username"]
# guardian.W001 looks for its own backend by name; portal.backends.GatedObjectPermissionBackend
# is that backend, with the gate deciding view permissions of gated models.
SILENCED_SYSTEM_CHECKS = ["axes.W006", "guardian.W001"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = True

PORTAL_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)

# --- Security headers ------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Map tiles come from a tile server the agency runs (empty: points and coordinates on a plain map).
MAP_TILE_URL = env.str("MAP_TILE_URL", default="")
MAP_TILE_ATTRIBUTION = env.str("MAP_TILE_ATTRIBUTION", default="")


def env_region(name, default):
    raw = env.str(name, default=default)
    try:
        west, south, east, north = (float(part) for part in raw.split(","))
    except ValueError:
        raise ImproperlyConfigured(
            f"Environment variable {name} must be west,south,east,north in degrees, got {raw!r}."
        ) from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ImproperlyConfigured(f"Environment variable {name} must have west < east and south < north, got {raw!r}.")
    return (west, south, east, north)


# The area the built-in base map covers (portal.basemap): its layers are clipped to it. The default
# holds the demo countries (LT, LV, EE, PL, FI) and their neighbours.
MAP_REGION = env_region("MAP_REGION", "9,48,33,71.5")
# The iCalendar feed lists activities ending after so many days ago, and everything later.
CALENDAR_FEED_PAST_DAYS = env_int("CALENDAR_FEED_PAST_DAYS", 90, minimum=1)
_tile_origin = "/".join(MAP_TILE_URL.split("/")[:3]) if MAP_TILE_URL.startswith("http") else ""

# No inline script or style anywhere; every asset is served by the portal itself.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *([_tile_origin] if _tile_origin else [])],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Internationalisation --------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ---------------------------------------------------------------
STATIC_URL = "/static/"
# Our own files, and Leaflet from its installed package (served under /static/leaflet/).
STATICFILES_DIRS = [BASE_DIR / "static", ("leaflet", xstatic.pkg.leaflet.BASE_DIR)]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Hashed, compressed file names (after collectstatic) in production; plain finders otherwise.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if not STATIC_MANIFEST
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST

AGREEMENT_DOCUMENT_MAX_BYTES = env_int("AGREEMENT_DOCUMENT_MAX_MB", 20, minimum=1) * 1024 * 1024
INCIDENT_ATTACHMENT_MAX_BYTES = env_int("INCIDENT_ATTACHMENT_MAX_MB", 10, minimum=1) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

# --- E-mail ----------------------------------------------------------------------------------
vars().update(_typed("email_url", "EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Joint Operations Portal <portal@localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
# Host name used in links of e-mails sent outside a request (by tasks and commands).
PORTAL_DOMAIN = env.str("PORTAL_DOMAIN", default="localhost:8000")
ADMINS = [("Operations", a) for a in _typed("list", "ADMINS", default=[])]

# --- API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.api.authentication.AgencyAPIKeyAuthentication",
        "portal.api.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "portal.api.permissions.HasScope",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.PortalPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.exceptions.portal_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Joint Operations Portal API",
    "DESCRIPTION": (
        "API for partner agencies' systems. Authenticate with `Authorization: Api-Key <key>`; "
        "keys are issued by your agency administrator. Errors share one JSON shape: "
        '`{"error": {"status", "code", "message", "fields"}}`.'
    ),
    "VERSION": "1.0.0",
    # 3.1: its schema objects are JSON Schema 2020-12, and it has `webhooks` for what is pushed.
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "AgencyKindEnum": "portal.models.AgencyKind",
        "CrossingKindEnum": "borders.models.CrossingKind",
        "AgreementKindEnum": "agreements.models.AgreementKind",
        "AgreementStatusEnum": "agreements.models.AgreementStatus",
        "DocumentKindEnum": "agreements.models.DocumentKind",
        "DisputeStatusEnum": "agreements.models.DisputeStatus",
        "IncidentCategoryEnum": "portal.choices.IncidentCategory",
        "IdentifierKindEnum": "portal.choices.IdentifierKind",
        "IncidentStatusEnum": "incidents.models.IncidentStatus",
        "SeverityEnum": "incidents.models.Severity",
        "ShareEndEnum": "incidents.models.ShareEnd",
        "AlertMsgTypeEnum": "alerts.models.AlertType",
        "AlertStatusEnum": "alerts.models.AlertStatus",
        "AlertKindEnum": "alerts.models.AlertKind",
        "TLPEnum": "portal.choices.TLP",
        "ActivityStatusEnum": "training.models.ActivityStatus",
        "CorrectiveActionStatusEnum": "training.models.ActionStatus",
        "RequestStatusEnum": "exchange.models.RequestStatus",
        "AnswerKindEnum": "exchange.models.AnswerKind",
        "RefusalGroundEnum": "exchange.models.RefusalGround",
        "LegalBasisEnum": "exchange.models.LegalBasis",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.api.schema.document_unauthorized",
        "alerts.api.webhooks.document_webhook_headers",
        "portal.api.schema.json_schema_nulls",
    ],
    # One webhook per event type of alerts.delivery.EVENT_TYPES (a list, imported by its path).
    "WEBHOOKS": "alerts.api.webhooks.WEBHOOKS",
}

# --- Background work -------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300, minimum=10)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 5
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
else:
    # A message not acknowledged within the visibility timeout is handed to another worker;
    # it must outlast the longest task so that no task runs twice because it was slow.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=CELERY_TASK_TIME_LIMIT * 2),
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Runs tasks in-process at once; for the unit tests only, never in a deployment.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fix-up closes a worker's database connection before and after every task
# unless told to reuse it: a new PostgreSQL connection per webhook delivery was most of the
# time a burst of deliveries took. Connections are now closed once in this many tasks.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000, minimum=0)
# Webhook deliveries wait on partners' servers: a deployment can give them a queue of their own,
# consumed by a worker with many threads, while other tasks keep a prefork worker with hard time
# limits (docker-compose.yml does). By default everything goes to Celery's one queue.
CELERY_ALERTS_QUEUE = env.str("CELERY_ALERTS_QUEUE", default="celery")
CELERY_TASK_ROUTES = {
    "alerts.tasks.send_alert": {"queue": CELERY_ALERTS_QUEUE},
    "alerts.tasks.deliver_alert": {"queue": CELERY_ALERTS_QUEUE},
}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Beat records its own sign of life on each tick (/healthz reads it beside the workers').
CELERY_BEAT_SCHEDULER = "portal.celery:BeatScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = 15

# --- Alerts pushed to partners -----------------------------------------------------------------
# Seconds a whole delivery attempt may take (connect, send, and the complete answer), and what
# each read, write or connect may take within it.
ALERTS_DEADLINE = env_int("ALERTS_DEADLINE", 15, minimum=1)
ALERTS_TIMEOUT = env_int("ALERTS_TIMEOUT", min(10, ALERTS_DEADLINE), minimum=1)
ALERTS_CONNECT_TIMEOUT = env_int("ALERTS_CONNECT_TIMEOUT", min(5, ALERTS_TIMEOUT), minimum=1)
# Connections a worker process keeps open to partners (reused between attempts).
ALERTS_HTTP_MAX_CONNECTIONS = env_int("ALERTS_HTTP_MAX_CONNECTIONS", 100, minimum=1)
# Attempts to one subscription at the same time: one slow partner cannot hold every worker
# thread; its other deliveries wait their turn while other partners' go ahead.
ALERTS_MAX_IN_FLIGHT_PER_ENDPOINT = env_int("ALERTS_MAX_IN_FLIGHT_PER_ENDPOINT", 4, minimum=1)
# Seconds before each retry; the default spreads ten retries over about three days.
ALERTS_RETRY_SCHEDULE = [
    int(x)
    for x in _typed(
        "list",
        "ALERTS_RETRY_SCHEDULE",
        default=["30", "120", "600", "1800", "3600", "10800", "21600", "43200", "86400", "86400"],
    )
]
ALERTS_ALLOW_HTTP = env_bool("ALERTS_ALLOW_HTTP", DEBUG)
# Loopback and private endpoints are refused (they would let a partner probe our network).
ALERTS_ALLOW_PRIVATE_ENDPOINTS = env_bool("ALERTS_ALLOW_PRIVATE_ENDPOINTS", False)
# How often beat runs the sweeper, and how many deliveries one sweep sends at most. A retry due
# sooner than the next sweep is sent by a delayed message of its own.
ALERTS_SWEEP_INTERVAL = env_int("ALERTS_SWEEP_INTERVAL", 15, minimum=1)
ALERTS_SWEEP_BATCH = env_int("ALERTS_SWEEP_BATCH", 500, minimum=1)
# A delivery still "sending" this long after it was claimed was left by a killed worker (no
# attempt outlives ALERTS_DEADLINE); the next sweep sends it again.
ALERTS_STUCK_AFTER = env_int("ALERTS_STUCK_AFTER", ALERTS_DEADLINE + 15, minimum=ALERTS_DEADLINE + 1)
# A message handed to the broker and not taken this long after is taken for lost (a broker that
# restarted empty) and sent again; until then the sweeper does not add another.
ALERTS_REQUEUE_AFTER = env_int("ALERTS_REQUEUE_AFTER", 300, minimum=ALERTS_SWEEP_INTERVAL)
# /healthz is "degraded" when a delivery has been due this long and not attempted.
ALERTS_OVERDUE_AFTER = env_int("ALERTS_OVERDUE_AFTER", ALERTS_SWEEP_INTERVAL * 2 + 60, minimum=ALERTS_SWEEP_INTERVAL)
# Minutes within which a partner should acknowledge an alert, by severity; later ones are flagged.
ALERTS_ACK_DEADLINES = {"critical": 30, "high": 120, "medium": 720, "low": 2880}

# Seconds between two polls of a live page (dashboard, incident list, map) while it is visible;
# a change shows within about this long (`incidents.live`).
LIVE_POLL_SECONDS = env_int("LIVE_POLL_SECONDS", 4, minimum=1)

# Hit/no-hit checks (`exchange.hits`) a person, and a partner system's API key, may run in an
# hour; counted by django-ratelimit in the default cache (CACHE_URL), which must be one the web
# processes share (Redis) when there are several of them.
HIT_CHECKS_PER_HOUR_PERSON = env_int("HIT_CHECKS_PER_HOUR_PERSON", 30, minimum=1)
HIT_CHECKS_PER_HOUR_KEY = env_int("HIT_CHECKS_PER_HOUR_KEY", 300, minimum=1)

CELERY_BEAT_SCHEDULE = {
    "audit-integrate": {"task": "portal.tasks.integrate_audit_log", "schedule": 5.0},
    "notification-email-sweeper": {"task": "portal.tasks.sweep_unsent_notifications", "schedule": 600.0},
    "alerts-sweeper": {"task": "alerts.tasks.sweep_alert_deliveries", "schedule": float(ALERTS_SWEEP_INTERVAL)},
    "incidents-revoke-lapsed-grants": {"task": "incidents.tasks.revoke_lapsed_grants", "schedule": 300.0},
    "incidents-sharing-resync-sweeper": {"task": "incidents.tasks.sweep_sharing_resyncs", "schedule": 60.0},
    "incidents-live-prune": {"task": "incidents.tasks.prune_live_changes", "schedule": 3600.0},
    "agreements-daily": {"task": "agreements.tasks.run_daily", "schedule": crontab(hour=5, minute=0)},
    # Reminders and escalations of requests for information; the time limits are hours long.
    "exchange-request-deadlines": {"task": "exchange.tasks.sweep_deadlines", "schedule": 300.0},
}
# Workers record a sign of life every WORKER_HEARTBEAT_INTERVAL seconds for each queue they
# consume, on their own timer (not through beat); /healthz reports a queue whose last one is
# older than WORKER_HEARTBEAT_MAX_AGE, and beat when its own is older than BEAT_HEARTBEAT_MAX_AGE.
WORKER_HEARTBEAT_INTERVAL = env_int("WORKER_HEARTBEAT_INTERVAL", 30, minimum=1)
WORKER_HEARTBEAT_MAX_AGE = env_int("WORKER_HEARTBEAT_MAX_AGE", 120, minimum=WORKER_HEARTBEAT_INTERVAL)
BEAT_HEARTBEAT_MAX_AGE = env_int("BEAT_HEARTBEAT_MAX_AGE", 120, minimum=CELERY_BEAT_MAX_LOOP_INTERVAL * 2)

# --- Logging ---------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # httpx and httpcore log every request at INFO, with its address: too much for a worker.
    "loggers": {"axes": {"level": "WARNING"}, "httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}
