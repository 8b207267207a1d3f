"""Django settings. Everything environment-specific comes from typed environment variables."""

from __future__ import annotations

import ipaddress
import re
import secrets
from pathlib import Path

import dj_database_url

from filon.env import ImproperEnvironment, env_bool, env_int, env_list, env_path, env_str

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = env_path("FILON_VAR_DIR", PROJECT_DIR / "var")

DEBUG = env_bool("FILON_DEBUG", False)


def _secret_key() -> str:
    """FILON_SECRET_KEY, or a random key kept in the instance's var/ directory (created once)."""
    from_env = env_str("FILON_SECRET_KEY", "")
    if from_env:
        return from_env
    key_file = VAR_DIR / "secret_key"
    try:
        if not key_file.exists():
            VAR_DIR.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
            key_file.chmod(0o600)
        return key_file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ImproperEnvironment(f"No se pudo leer ni crear la llave secreta en {key_file}: {exc}") from exc


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("FILON_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "filon.accounts",
    "filon.audit",
    "filon.applicants",
    "filon.origination",
    "filon.committees",
    "filon.marketdata",
    "filon.ledger",
    "filon.servicing",
    "filon.goals",
    "filon.operations",
    "filon.programs",
    "filon.funds",
    "filon.factoring",
    "filon.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "filon.accounts.middleware.SessionRefreshMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "filon.guards.NulGuardMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "filon.urls"
WSGI_APPLICATION = "filon.wsgi.application"

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
                "filon.web.http.navigation",
            ],
        },
    },
]


def _database_from_env() -> dict[str, object]:
    url = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'filon.sqlite3'}")
    try:
        config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
    except Exception as exc:  # dj_database_url raises several types for malformed URLs
        raise ImproperEnvironment(f"DATABASE_URL no es una URL de base de datos válida: {exc}") from exc
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    config["ATOMIC_REQUESTS"] = False
    return config


DATABASES = {"default": _database_from_env()}
# What the loan pages compute from the ledger and the schedule (parts, the page body, the statement), kept per
# process under the loan's revision mark (`filon.servicing.selectors.loan_kept`): a key names one state of one
# loan on one day, so an entry is never stale — a change makes a new key — and the oldest make room.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "filon"},
    "pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "filon-pages",
        "TIMEOUT": 26 * 60 * 60,
        "OPTIONS": {"MAX_ENTRIES": env_int("FILON_PAGE_CACHE_ENTRIES", 400)},
    },
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["filon.accounts.backends.LockoutModelBackend"]
# Lock-out after repeated failed logins.
FILON_LOGIN_MAX_FAILURES = env_int("FILON_LOGIN_MAX_FAILURES", 5)
FILON_LOGIN_LOCK_MINUTES = env_int("FILON_LOGIN_LOCK_MINUTES", 15)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# A session is a signed cookie (it holds only the user's id and session hash): no database read or write per
# page. Logging out renews the user's session salt, which ends every copy of the cookie (filon.accounts.apps);
# a new password, a deactivated user or a new secret key end them too.
# Sessions expire after this many idle seconds and when the browser closes. A request renews the expiry (signs
# the cookie anew) when the last renewal is older than FILON_SESSION_REFRESH_SECONDS (filon.accounts.
# middleware), not on every request: the idle timeout holds to within that many seconds.
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
SESSION_COOKIE_AGE = env_int("FILON_SESSION_IDLE_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = False
FILON_SESSION_REFRESH_SECONDS = env_int("FILON_SESSION_REFRESH_SECONDS", 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("FILON_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LANGUAGE_CODE = "es-mx"
TIME_ZONE = "America/Mexico_City"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env_path("FILON_STATIC_ROOT", PROJECT_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env_path("FILON_MEDIA_ROOT", VAR_DIR / "media")
FILON_MAX_UPLOAD_MB = env_int("FILON_MAX_UPLOAD_MB", 10)
DATA_UPLOAD_MAX_MEMORY_SIZE = FILON_MAX_UPLOAD_MB * 1024 * 1024 + 1024 * 1024

# The rule-set directory can be overridden (e.g. a Risk-area draft under review).
FILON_RULES_DIR = env_path("FILON_RULES_DIR", BASE_DIR / "rules" / "data")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("FILON_LOG_LEVEL", "INFO")},
}

# ------------------------------------------------------------------------------ production / proxy (begin)
# In production `filon serve` listens on the loopback behind a reverse proxy that ends TLS, buffers requests
# and sets X-Forwarded-Proto (docs/deployment.md). Secure by default outside DEBUG: HTTPS redirect, HSTS,
# secure cookies. FILON_SECURE_COOKIES=0 is plain HTTP on the loopback (the demo, the tests): unless given,
# the redirect and HSTS are off with it.


def _whole(name: str, default: int, minimum: int) -> int:
    value = env_int(name, default)
    if value < minimum:
        raise ImproperEnvironment(f"{name}={value} debe ser al menos {minimum}.")
    return value


def _origins(name: str) -> list[str]:
    origins = env_list(name, [])
    for origin in origins:
        if not re.fullmatch(r"https?://[^/\s]+", origin):
            raise ImproperEnvironment(
                f"{name}: «{origin}» no es un origen como https://creditos.ejemplo.mx (esquema y host, sin ruta)."
            )
    return origins


def _addresses(name: str, default: list[str]) -> list[str]:
    addresses = env_list(name, default)
    for address in addresses:
        try:
            if address != "*":
                ipaddress.ip_address(address)
        except ValueError:
            raise ImproperEnvironment(f"{name}: «{address}» no es una dirección IP (ni «*»).") from None
    return addresses


SECURE_SSL_REDIRECT = env_bool("FILON_SSL_REDIRECT", SESSION_COOKIE_SECURE)
SECURE_HSTS_SECONDS = _whole("FILON_HSTS_SECONDS", 365 * 24 * 60 * 60 if SESSION_COOKIE_SECURE else 0, 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("FILON_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("FILON_HSTS_PRELOAD", True)
# Trust the proxy's X-Forwarded-Proto for request.is_secure(): only when the proxy is the sole way in (it
# overwrites the header) — otherwise a client could claim HTTPS.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("FILON_BEHIND_PROXY", False) else None
)
CSRF_TRUSTED_ORIGINS = _origins("FILON_CSRF_TRUSTED_ORIGINS")
# What `filon serve` allows one client (filon.worker): seconds to send a request's headers, seconds idle
# between requests, connections at once per process (past it, 503), seconds a process may spend on one
# request before gunicorn restarts it; and the addresses whose X-Forwarded-For/-Proto it believes (the proxy).
FILON_HEADER_TIMEOUT = _whole("FILON_HEADER_TIMEOUT", 10, 1)
FILON_KEEPALIVE_SECONDS = _whole("FILON_KEEPALIVE_SECONDS", 5, 1)
FILON_WORKER_CONNECTIONS = _whole("FILON_WORKER_CONNECTIONS", 1000, 1)
FILON_WORKER_TIMEOUT = _whole("FILON_WORKER_TIMEOUT", 120, 1)
# Threads per process that run Django's views (filon.asgi.ThreadPool), each with its database connection.
FILON_SERVE_THREADS = _whole("FILON_SERVE_THREADS", 4, 1)
FILON_FORWARDED_ALLOW_IPS = _addresses("FILON_FORWARDED_ALLOW_IPS", ["127.0.0.1", "::1"])
# -------------------------------------------------------------------------------- production / proxy (end)
