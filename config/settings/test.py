"""Settings for the test suite. SQLite by default; PostgreSQL when DATABASE_URL is set."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import database_from_env

SECRET_KEY = "test-secret-key-not-for-production-0123456789abcdefghijklmnopqrstuvwxyz"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
DATABASES = {"default": database_from_env(VAR_DIR / "test.sqlite3")}  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CRISISDESK_FIELD_KEYS = ["kWmgn2oZuaVbB6gHdf9VVbNu2IEM6Y7yR4-ZdyhIk6U="]
CRISISDESK_DEMO_ALLOWED = True
# WhiteNoise serves collected files in production; here the staticfiles finders do.
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False}

# Tasks run inline when their transaction commits, so tests see their effect at once.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# Document files of the cases module: a fresh folder per run, outside the repository.
CRISISDESK_DOCUMENT_ROOT = Path(tempfile.mkdtemp(prefix="crisisdesk-documents-"))
