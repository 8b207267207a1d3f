"""Django settings. Everything environment-specific comes from typed environment variables."""

from __future__ import annotations

import ipaddress
import re
import secrets
from datetime import timedelta
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
    "filon.idempotency",
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
    "filon.demo",
    "filon.amendments",
    "filon.worklist",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    # First: refuses an oversized body (413) before any other layer reads it (filon.limits).
    "filon.limits.BodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "filon.accounts.middleware.SessionRefreshMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "filon.guards.NulGuardMiddleware",
    "filon.accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "filon.web.http.MethodNotAllowedPage",  # Django's bare 405 as a Spanish page (or the API's JSON)
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
                "filon.web.worklist.context.notices_unread",
                "filon.web.operations.context.business_date",
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
# What the loan pages compute from the ledger and the schedule (parts, the page body, the statement and its
# rendered body), kept per process under the loan's revision mark (`filon.platform.pagecache`): a key names one
# state of one loan on one day, so an entry is never stale — a change makes a new key — and the oldest make room.
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

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:pending"  # «Mis pendientes» (filon.worklist)
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

# --- Request and upload limits (filon.limits; docs/security.md, «Tamaño de las solicitudes») -------------
# DATA_UPLOAD_MAX_MEMORY_SIZE: the largest body of a form or JSON request (and of the JSON `filon` reads on
# the API); FILE_UPLOAD_MAX_MEMORY_SIZE: an uploaded file up to this size stays in memory, a larger one is
# spooled to FILE_UPLOAD_TEMP_DIR; FILON_MAX_UPLOAD_BYTES: the largest file a person may upload;
# FILON_MAX_REQUEST_BYTES: the largest body of any request (an upload with its form), refused with a 413
# before anything reads it.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
FILON_MAX_UPLOAD_BYTES = env_int("FILON_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
FILON_MAX_REQUEST_BYTES = env_int(
    "FILON_MAX_REQUEST_BYTES", FILON_MAX_UPLOAD_BYTES + DATA_UPLOAD_MAX_MEMORY_SIZE
)
for _name in ("DATA_UPLOAD_MAX_MEMORY_SIZE", "FILE_UPLOAD_MAX_MEMORY_SIZE", "FILON_MAX_UPLOAD_BYTES"):
    if globals()[_name] <= 0:
        raise ImproperEnvironment(f"{_name} debe ser un número de bytes mayor que cero.")
if max(FILON_MAX_UPLOAD_BYTES, DATA_UPLOAD_MAX_MEMORY_SIZE) > FILON_MAX_REQUEST_BYTES:
    raise ImproperEnvironment(
        "FILON_MAX_REQUEST_BYTES debe ser al menos FILON_MAX_UPLOAD_BYTES y DATA_UPLOAD_MAX_MEMORY_SIZE."
    )
# --- end of request and upload limits ----------------------------------------------------------------------

# The rule-set directory can be overridden (e.g. a Risk-area draft under review).
FILON_RULES_DIR = env_path("FILON_RULES_DIR", BASE_DIR / "rules" / "data")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("FILON_LOG_LEVEL", "INFO")},
}


# ---------------------------------------------------------------- login throttling, page headers, API docs
# (begin) Failed logins, what every answer tells the browser, and the API's documentation.


def _positive_int(name: str, default: int) -> int:
    value = env_int(name, default)
    if value < 1:
        raise ImproperEnvironment(f"{name}={value} debe ser un entero positivo.")
    return value


def _client_ip_header() -> str:
    """Where the client's address is read from: REMOTE_ADDR, or behind the reverse proxy the request header
    that proxy sets (as Django names it in META, e.g. HTTP_X_REAL_IP)."""
    name = env_str("FILON_CLIENT_IP_HEADER", "REMOTE_ADDR")
    if name != "REMOTE_ADDR" and not re.fullmatch(r"HTTP_[A-Z0-9_]+", name):
        raise ImproperEnvironment(
            f"FILON_CLIENT_IP_HEADER={name!r} debe ser REMOTE_ADDR o una cabecera como HTTP_X_REAL_IP."
        )
    return name


# django-axes counts failed logins per account *and* address (filon.accounts.backends): an attacker locks out
# only their own address, never the person at another one. An address that fails across many accounts is
# stopped by its own, higher limit. A lock ends FILON_LOGIN_LOCK_MINUTES after the last failed try, or by
# `filon users unlock`. A locked try is answered as a wrong password is, after the same password hash.
INSTALLED_APPS += ["axes"]
AUTHENTICATION_BACKENDS = ["filon.accounts.backends.AccountBackend"]
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
AXES_HANDLER = "filon.accounts.backends.LoginThrottle"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = _positive_int("FILON_LOGIN_MAX_FAILURES", 5)
FILON_LOGIN_ADDRESS_MAX_FAILURES = _positive_int("FILON_LOGIN_ADDRESS_MAX_FAILURES", 30)
AXES_COOLOFF_TIME = timedelta(minutes=_positive_int("FILON_LOGIN_LOCK_MINUTES", 15))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "filon.accounts.backends.lockout_response"
AXES_CLIENT_IP_CALLABLE = "filon.accounts.backends.client_address"
FILON_CLIENT_IP_HEADER = _client_ip_header()
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False  # no banner on every `filon` command
LOGGING.setdefault("loggers", {})["axes"] = {"level": "WARNING"}  # failures and lock-outs, not every login

# Every answer carries this Content-Security-Policy: scripts and styles only from the application's own static
# files (HTMX and filon.js; no inline script, style or handler anywhere), nothing framed, no plug-ins.
# Signed-in pages are also sent `Cache-Control: no-store` (filon.headers).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "filon.headers.PageHeadersMiddleware",
)
FILON_CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)

# The API's schema and docs (/api/v1/openapi.json, /api/v1/docs) need a signed-in person or a token
# (filon.api; docs/security.md says why). With ninja installed as an app, its docs page uses the Swagger UI
# files ninja ships, served as our own static files, instead of loading them from a CDN.
INSTALLED_APPS += ["ninja"]
# (end) login throttling, page headers, API docs

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

# Background work (the Django Tasks API through django-tasks' database backend: the same tables on SQLite and
# PostgreSQL, no broker to run). `filon worker` takes the tasks and runs the schedule (docs/operations.md).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Mail: SMTP from the environment in production; the demo writes each mail as a file in a folder it names.
EMAIL_BACKEND = env_str("FILON_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_FILE_PATH = env_str("FILON_EMAIL_FILE_PATH", str(VAR_DIR / "correo"))
EMAIL_HOST = env_str("FILON_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("FILON_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("FILON_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("FILON_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("FILON_EMAIL_TLS", False)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env_str("FILON_EMAIL_FROM", "Filón <filon@localhost>")
# The site's address as the mails link to it, and how many days ahead an obligation is reminded (worklist).
FILON_SITE_URL = env_str("FILON_SITE_URL", "http://localhost:8000")
FILON_REMINDER_DAYS = env_int("FILON_REMINDER_DAYS", 7)

# Training mode (off in production, on in the demo): the administrator may move the business date forward,
# running the closes in between, to show a loan falling due, going late and being recovered.
FILON_TRAINING_MODE = env_bool("FILON_TRAINING_MODE", False)
