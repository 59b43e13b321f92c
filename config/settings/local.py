"""Local settings: the embedded SQLite database and the demo scenario, for `make run`.

Secrets for a local install are generated once into var/ so that a fresh clone works
with no configuration, and a second run reuses them (the encrypted demo data stays readable).
"""

import secrets
from pathlib import Path

from cryptography.fernet import Fernet

from .base import *  # noqa: F403
from .base import VAR_DIR, database_from_env, env


def _local_secret(name: str, make) -> str:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / name
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="") or _local_secret("secret_key", lambda: secrets.token_urlsafe(50))
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
# The embedded database file (ignored when DATABASE_URL is set). The throughput benchmark
# points it at a fresh temporary file.
DATABASES = {
    "default": database_from_env(Path(env("CRISISDESK_SQLITE_PATH", default=str(VAR_DIR / "crisisdesk.sqlite3"))))
}
CRISISDESK_FIELD_KEYS = env.list("CRISISDESK_FIELD_KEYS", default=[]) or [
    _local_secret("field_key", lambda: Fernet.generate_key().decode())
]

CRISISDESK_DEMO_ALLOWED = True
CRISISDESK_DEMO_USERS_SKIP_OTP = True
CRISISDESK_BENCH_ENDPOINTS = env.bool("CRISISDESK_BENCH_ENDPOINTS", default=False)
CRISISDESK_PUBLIC_RATE_LIMIT = env.int("CRISISDESK_PUBLIC_RATE_LIMIT", default=30)

# runserver serves static files from the app folders; no collectstatic needed locally.
# WhiteNoise serves collected files in production; here the staticfiles finders do.
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
