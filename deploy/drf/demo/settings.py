"""Settings of the DRF demo backend that weather_apis proxies.

Everything comes from DRF_DEMO_* environment variables with demo defaults (see
README.md). The database is SQLite at DRF_DEMO_DB; run.sh insists on it, the
default here only serves manage.py commands such as makemigrations and test.
"""
import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_seconds(name, default):
    """A positive number of seconds from the environment, as a timedelta."""
    raw = os.environ.get(name, "")
    seconds = float(raw) if raw else float(default)
    if seconds <= 0:
        raise ValueError(f"{name} must be > 0 seconds, got {raw!r}")
    return timedelta(seconds=seconds)


SECRET_KEY = os.environ.get("DRF_DEMO_SECRET_KEY", "drf-demo-django-secret-not-for-production")
DEBUG = False
# Bound to loopback by run.sh; a proxy in front may add hosts here.
ALLOWED_HOSTS = os.environ.get("DRF_DEMO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
APPEND_SLASH = False

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "farms",
]

MIDDLEWARE = [
    "farms.middleware.DemoMiddleware",
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "demo.urls"
WSGI_APPLICATION = "demo.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DRF_DEMO_DB") or str(BASE_DIR / "drf-demo.sqlite3"),
        # Several gunicorn workers write counters: wait for the lock instead of failing.
        "OPTIONS": {"timeout": 30},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_L10N = False
USE_TZ = True

REST_FRAMEWORK = {
    # SimpleJWT's JWTAuthentication plus the token_max_age fault.
    "DEFAULT_AUTHENTICATION_CLASSES": ["farms.authentication.DemoJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": None,
    # OpenAPI 3 (not CoreAPI) for GET /api/v1/schema/ (farms.openapi).
    "DEFAULT_SCHEMA_CLASS": "rest_framework.schemas.openapi.AutoSchema",
}

SIMPLE_JWT = {
    "ALGORITHM": "HS256",
    "SIGNING_KEY": os.environ.get("DRF_DEMO_SIGNING_KEY", "weather-apis-demo-signing-key-change-me"),
    "ACCESS_TOKEN_LIFETIME": _env_seconds("DRF_DEMO_ACCESS_TTL", 300),
    "REFRESH_TOKEN_LIFETIME": _env_seconds("DRF_DEMO_REFRESH_TTL", 86400),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

# The service account the seed creates and weather_apis logs in with.
DEMO_USERNAME = os.environ.get("DRF_DEMO_USER", "weather_svc")
DEMO_PASSWORD = os.environ.get("DRF_DEMO_PASSWORD", "weather_svc_pw")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DRF_DEMO_LOG_LEVEL", "WARNING")},
    # 4xx answers (and injected faults) are the demo's daily bread, not warnings.
    "loggers": {"django.request": {"level": os.environ.get("DRF_DEMO_REQUEST_LOG_LEVEL", "ERROR")}},
}
