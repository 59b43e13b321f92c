"""Settings shared by every environment.

Configuration comes from the environment (django-environ). Each environment module
(local, test, production) starts from here and overrides only what differs.
"""

from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = False
ALLOWED_HOSTS: list[str] = env.list("DJANGO_ALLOWED_HOSTS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    # Listed for its translated country names (he, uk, ru); it has no models.
    "django_countries",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "ninja",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "crisisdesk.common",
    "crisisdesk.accounts",
    "crisisdesk.border",
    "crisisdesk.registry",
    "crisisdesk.sitrep",
    "crisisdesk.diplomacy",
    "crisisdesk.cases",
    "crisisdesk.aid",
    "crisisdesk.duplicates",
    "crisisdesk.pfif",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
FORM_RENDERER = "crisisdesk.common.forms.CrisisDeskFormRenderer"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "crisisdesk" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "crisisdesk.accounts.context_processors.staff_permissions",
                "crisisdesk.diplomacy.context_processors.follow_ups_due",
            ],
        },
    },
]


def database_from_env(default_sqlite_path: Path) -> dict:
    """PostgreSQL when DATABASE_URL is set, else the embedded SQLite (WAL) database."""
    url = env("DATABASE_URL", default="")
    if url:
        config = environ.Env.db_url_config(url)
        config["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
        config["ATOMIC_REQUESTS"] = False
        return config
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": default_sqlite_path,
        # A new SQLite connection re-runs the PRAGMAs and re-reads the schema; keeping it
        # per worker thread is the largest single saving measured in docs/benchmarks.md.
        "CONN_MAX_AGE": env.int("DATABASE_CONN_MAX_AGE", default=60),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            # WAL lets readers run beside the single writer; IMMEDIATE takes the write lock
            # at BEGIN so concurrent writers queue on busy_timeout instead of failing with
            # "database is locked" when a read transaction tries to upgrade.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA busy_timeout=20000;"
                "PRAGMA cache_size=-64000;"
                # Checkpoint every 10,000 pages (40 MB of WAL) rather than 1,000: a page
                # written again before the checkpoint is copied once, and a surge of
                # registrations rewrites the same index pages (docs/benchmarks.md).
                "PRAGMA wal_autocheckpoint=10000;"
            ),
        },
    }


DATABASES = {"default": database_from_env(VAR_DIR / "crisisdesk.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "staff_home"

# Two-factor authentication is required for staff. Only local settings may relax it,
# and then only for users marked as demo users.
CRISISDESK_OTP_REQUIRED = True
CRISISDESK_DEMO_USERS_SKIP_OTP = False
CRISISDESK_DEMO_ALLOWED = False
OTP_TOTP_ISSUER = "Crisis Desk"

# django-axes: lock an account/IP pair out after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token"]
AXES_VERBOSE = False

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("he", _("Hebrew")),
    ("en", _("English")),
    ("uk", _("Ukrainian")),
    ("ru", _("Russian")),
]
LOCALE_PATHS = [BASE_DIR / "crisisdesk" / "locale"]
LANGUAGE_COOKIE_NAME = "crisisdesk_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Our own additions to Django's locale formats (config/formats/<language>/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# The project-wide static files (vendored libraries, app.css, app.js) sit outside any app.
STATICFILES_DIRS = [BASE_DIR / "crisisdesk" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# A strict CSP: every script and style is a vendored file served by the app itself.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

CACHES = {
    "default": env.cache_url("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}"),
}

# Field encryption (contact details, identity documents). Comma-separated Fernet keys;
# the first encrypts, all decrypt, so keys can be rotated.
CRISISDESK_FIELD_KEYS: list[str] = env.list("CRISISDESK_FIELD_KEYS", default=[])

# The crisis this deployment serves. Risk rules reference these defaults when created.
CRISISDESK_CRISIS_COUNTRY = env("CRISISDESK_CRISIS_COUNTRY", default="UA")
CRISISDESK_CRISIS_DATE = env("CRISISDESK_CRISIS_DATE", default="2022-02-24")
# Sitrep (docs/subsystems/estimates.md): the share of the undecided and unknown that the upper
# end of "want to stay" assumes; how long without contact counts as stale; how often the live
# dashboard refreshes.
CRISISDESK_SITREP_UNDECIDED_STAY_SHARE = env.float("CRISISDESK_SITREP_UNDECIDED_STAY_SHARE", default=0.5)
CRISISDESK_SITREP_STALE_CONTACT_HOURS = env.int("CRISISDESK_SITREP_STALE_CONTACT_HOURS", default=48)
CRISISDESK_SITREP_REFRESH_SECONDS = env.int("CRISISDESK_SITREP_REFRESH_SECONDS", default=60)
# Diplomacy: an open channel with no contact for this many days becomes dormant.
CRISISDESK_CHANNEL_DORMANT_AFTER_DAYS = env.int("CRISISDESK_CHANNEL_DORMANT_AFTER_DAYS", default=30)
# Immigration requests: where document files are kept (encrypted, outside the web root and
# STATIC_ROOT), the largest file accepted, and the days in a stage after which a case is
# highlighted as ageing (a request type may set its own).
CRISISDESK_DOCUMENT_ROOT = Path(env("CRISISDESK_DOCUMENT_ROOT", default=str(VAR_DIR / "documents")))
CRISISDESK_DOCUMENT_MAX_BYTES = env.int("CRISISDESK_DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)
CRISISDESK_CASE_AGEING_DAYS = {
    "received": 1,
    "eligibility_review": 3,
    "documents_pending": 7,
    "decision": 2,
    "approved": 3,
    "travel_arranged": 5,
}

# Public endpoints: requests per client per window.
CRISISDESK_PUBLIC_RATE_LIMIT = env.int("CRISISDESK_PUBLIC_RATE_LIMIT", default=30)
CRISISDESK_PUBLIC_RATE_WINDOW_SECONDS = env.int("CRISISDESK_PUBLIC_RATE_WINDOW_SECONDS", default=600)
# The border desk's offline field pack: how long a device may search it, and its size cap.
CRISISDESK_FIELD_PACK_HOURS = env.int("CRISISDESK_FIELD_PACK_HOURS", default=24)
CRISISDESK_FIELD_PACK_MAX_PERSONS = env.int("CRISISDESK_FIELD_PACK_MAX_PERSONS", default=50_000)
# Trust X-Forwarded-For only behind a known reverse proxy.
CRISISDESK_TRUSTED_PROXY_COUNT = env.int("CRISISDESK_TRUSTED_PROXY_COUNT", default=0)

# While public registrations keep arriving and the processors are saturated, the worker
# that adds them to the registry takes at most this share of the time (0-1]; empty for
# the default, 0.03 (crisisdesk/registry/tasks.py). 1 lets it run flat out regardless.
CRISISDESK_INTAKE_BUSY_SHARE = env.float("CRISISDESK_INTAKE_BUSY_SHARE", default=None)

# Benchmark-only endpoints (the single-INSERT ceiling view). Never on in production.
CRISISDESK_BENCH_ENDPOINTS = False

NINJA_PAGINATION_PER_PAGE = 50

# Background jobs: the Django Tasks API (django-tasks backport), stored in the database and
# run by `manage.py db_worker` (make run starts one).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        # Request logs may carry query strings and form values; keep them at WARNING and
        # never log bodies. See docs/subsystems/audit.md on PII.
        "django.request": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # The PDF renderer logs every page it lays out.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# PFIF 1.4 exchange (crisisdesk/pfif, docs/subsystems/pfif.md): the domain of our record ids
# ("<domain>/person.17"), the name our records give as their source, the largest file and the
# most records one import takes, and the most persons one page of the API's export holds.
PFIF_DOMAIN = env("PFIF_DOMAIN", default="crisisdesk.example.org")
PFIF_SOURCE_NAME = env("PFIF_SOURCE_NAME", default="Crisis Desk")
PFIF_IMPORT_MAX_BYTES = env.int("PFIF_IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
PFIF_IMPORT_MAX_RECORDS = env.int("PFIF_IMPORT_MAX_RECORDS", default=100_000)
PFIF_EXPORT_MAX_RESULTS = env.int("PFIF_EXPORT_MAX_RESULTS", default=1000)
