"""Rapport settings: everything that varies between machines comes from the environment.

The README's table lists every variable. With none set, Rapport runs on embedded defaults:
SQLite and a filesystem Celery broker under var/, email printed to the console.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    database_from_url,
    development_key,
    email_from_url,
    env_bool,
    env_cron,
    env_int,
    env_list,
    env_str,
    shortest_interval,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", True)
SECRET_KEY_MIN_LENGTH = 50  # what `check --deploy` asks for

SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not DEBUG:
    missing = [
        name
        for name, value in (("SECRET_KEY", SECRET_KEY), ("ALLOWED_HOSTS", ALLOWED_HOSTS))
        if not value
    ]
    if missing:
        raise ImproperlyConfigured(
            f"DEBUG is off (production mode) and {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
            "not set. Set them, or set DEBUG=1 for local development."
        )
if not DEBUG and len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH:
    raise ImproperlyConfigured(
        f"DEBUG is off (production mode) and SECRET_KEY has {len(SECRET_KEY)} characters: it "
        f"needs at least {SECRET_KEY_MIN_LENGTH}. Generate one with "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
    )
if not SECRET_KEY:
    SECRET_KEY = "insecure-development-key-never-used-when-debug-is-off"
# Secrets at rest (clients/encryption.py): Fernet keys, newest first. In development a key is
# derived from SECRET_KEY, which is fine for throw-away data and nothing else.
ENCRYPTION_KEYS = env_list("ENCRYPTION_KEYS")
if not ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DEBUG is off (production mode) and ENCRYPTION_KEYS is not set. Generate a key with "
            "`python manage.py reencrypt_secrets --new-key`."
        )
    ENCRYPTION_KEYS = [development_key(SECRET_KEY)]
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", f"http://localhost:{env_int('PORT', 8000)}").rstrip("/")

if env_bool("BEHIND_HTTPS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
# HTTPS only, in production unless HTTPS_ONLY=0 (a plain-HTTP setup on a private network):
# plain HTTP is redirected, browsers are told to use HTTPS for a year (HSTS), cookies are Secure.
if env_bool("HTTPS_ONLY", not DEBUG):
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    "template_partials",
    "axes",
    "django_otp",
    "clients",
    "accounts",
    "engagements",
    "integrations",
    "ninja",  # serves its Swagger UI from its own static files (no CDN) at /api/v1/docs
    "inbox",
    "web",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "web.middleware.SecondFactorMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "web.middleware.FreelancerTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last, where request.user and request.htmx are set; it still answers before any view runs
    # and before the CSRF check reads the form (docs/decisions/0013).
    "web.middleware.RequestLimitsMiddleware",
]

# Pages load scripts and styles from this site only: no inline script without the request's nonce
# ({{ CSP_NONCE }}), no inline style, no eval (htmx is told not to need it, in base.html), and no
# framing. docs/decisions/0012-content-security-policy-and-https.md.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Browser features no page uses are off; the script pages copy to the clipboard.
PERMISSIONS_POLICY = {
    "camera": [],
    "microphone": [],
    "geolocation": [],
    "payment": [],
    "usb": [],
    "clipboard-write": ["self"],
}

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
                "csp.context_processors.nonce",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        "DATABASE_URL", env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'rapport.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the web server, the worker and beat share the file without "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
# Signing in (docs/decisions/0024-signing-in.md). django-axes: a user name, or an address, with
# AXES_FAILURE_LIMIT failed sign-ins in a row is refused for AXES_COOLOFF_TIME, before any
# password is hashed; admins unlock under Admin → Axes. Two-factor sign-in (TOTP and recovery
# codes: django-otp with the devices of accounts/, whose secrets are encrypted or hashed) is
# optional, and required of staff with REQUIRE_STAFF_TWO_FACTOR=1.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "web.middleware.client_ip"
AXES_VERBOSE = False
OTP_TOTP_ISSUER = "Rapport"
REQUIRE_STAFF_TWO_FACTOR = env_bool("REQUIRE_STAFF_TWO_FACTOR", False)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns about a missing one before collectstatic
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

for _key, _value in email_from_url("EMAIL_URL", env_str("EMAIL_URL", "console://")).items():
    globals()[_key] = _value
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Rapport <rapport@localhost>")

# Celery: Redis when REDIS_URL is set, otherwise kombu's filesystem transport under var/,
# which needs no server (one machine only, for development).
REDIS_URL = env_str("REDIS_URL")
# A Redis that is down or hung costs a request at most about two seconds, never a hang: every
# connection to it (broker and cache) gives up after a second, and a publish is tried once
# (docs/decisions/0020-a-write-never-waits-for-the-broker.md).
REDIS_TIMEOUTS = {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}
CELERY_BROKER_CONNECTION_TIMEOUT = 1.0
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = dict(REDIS_TIMEOUTS)
    CELERY_TASK_PUBLISH_RETRY = False
else:
    _queue_dir = VAR_DIR / "celery-queue"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://localhost/"  # a host named, or kombu warns at each start
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(_queue_dir / "control"),
    }
# The cache holds the dashboard's rows between refreshes (engagements/dashboard_cache.py). The
# web server, the worker and beat must share it, as the worker marks what it changed: Redis when
# REDIS_URL is set, otherwise files under var/ (one machine, for development).
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "rapport",
            "OPTIONS": dict(REDIS_TIMEOUTS),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
CELERY_TASK_SERIALIZER = CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Beat entries: task and the variable holding its cron schedule ("disable" turns it off). Each
# expires before its next run (80 % of its shortest interval), so a backlog never runs stale work.
BEAT_JOBS = {
    # The clients due (engagements/due.py); and nightly, everyone in full, to heal what a missed
    # mark would leave behind.
    "evaluate-flags": ("engagements.tasks.evaluate_due", "EVALUATE_FLAGS_CRON", "*/5 * * * *"),
    "evaluate-flags-full": (
        "engagements.tasks.evaluate_everyone",
        "EVALUATE_FLAGS_FULL_CRON",
        "17 3 * * *",
    ),
    "weekly-snapshots": (
        "engagements.tasks.take_weekly_snapshots",
        "HEALTH_SNAPSHOT_CRON",
        "2 * * * *",
    ),
    "send-emails": ("engagements.tasks.send_due_emails", "SEND_EMAILS_CRON", "*/5 * * * *"),
    "deliver-webhooks": (
        "integrations.tasks.deliver_webhooks",
        "DELIVER_WEBHOOKS_CRON",
        "* * * * *",
    ),
    "sync-mail": ("inbox.tasks.sync_due_mailboxes", "MAIL_SYNC_CRON", "*/5 * * * *"),
}
CELERY_BEAT_SCHEDULE = {
    name: {
        "task": task,
        "schedule": schedule,
        "options": {"expires": int(shortest_interval(schedule) * 0.8)},
    }
    for name, (task, variable, default) in BEAT_JOBS.items()
    if (schedule := env_cron(variable, default)) is not None
}

# Webhooks go to public internet addresses only (integrations/outbound.py); 1 lets them reach
# private ones too, for a self-hosted Rapport posting to its own intranet.
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", False)

# The REST API (api/): requests per minute for each personal API token.
API_REQUESTS_PER_MINUTE = env_int("API_REQUESTS_PER_MINUTE", 120)
# The mailbox (inbox/): a mailbox is synced again once this much of the beat's interval has passed.
MAIL_SYNC_INTERVAL = (
    shortest_interval(CELERY_BEAT_SCHEDULE["sync-mail"]["schedule"])
    if "sync-mail" in CELERY_BEAT_SCHEDULE
    else 300
)
MAIL_TIMEOUT = env_int("MAIL_TIMEOUT", 10)  # seconds for an IMAP connect, TLS handshake, read
MAIL_CA_FILE = env_str("MAIL_CA_FILE")  # extra certificates to trust (a private mail server)
INBOUND_DOMAIN = env_str("INBOUND_DOMAIN").strip().lower().rstrip(".")  # log+<token>@this

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Django's own loggers follow LOG_LEVEL too (runserver's line per request, the autoreloader):
    # to the console through the root logger, not through Django's default handlers.
    "loggers": {
        "django": {"level": LOG_LEVEL},
        "django.server": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}
