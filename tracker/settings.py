"""Settings for the arms-transfer tracker.

Everything that differs between machines comes from the environment
(DATABASE_URL, DJANGO_SECRET_KEY, DJANGO_DEBUG, DJANGO_ALLOWED_HOSTS, ...).
Defaults are safe for production: debug off, secure cookies, HSTS; `make run`
switches debug on explicitly for local use.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("TRACKER_VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_rate(name, default):
    value = os.environ.get(name, default).strip()
    return None if value.lower() in {"off", "none", "0"} else value


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

# A development key is only acceptable with debug on; production refuses to
# start without a real one.
INSECURE_DEV_KEY = "django-insecure-development-only-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "").strip()
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = INSECURE_DEV_KEY
    else:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set (or DJANGO_DEBUG=1 for local development).")
elif SECRET_KEY == INSECURE_DEV_KEY and not DEBUG:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY is the development key; set a real secret.")
elif not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    # What `check --deploy` calls weak; production refuses it rather than warn.
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is too weak: use at least 50 characters, e.g. "
        "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'."
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "transfers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Cache-Control and Vary of every response (transfers/http_cache.py): above the session,
    # CSRF and authentication middleware, so it sees their cookies and the user.
    "transfers.http_cache.CacheControlMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "tracker.db_router.ReadYourWritesMiddleware",
    # Last, as django-axes asks: it turns locked-out logins into a 429 page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Failed logins (admin, browsable API) are limited per username and address.
AXES_FAILURE_LIMIT = int(os.environ.get("DJANGO_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("DJANGO_LOGIN_COOLOFF_HOURS", "1"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("DJANGO_AXES_ENABLED", True)

# Content Security Policy: only our own scripts (the API docs are served locally by
# drf-spectacular-sidecar); inline styles are allowed for the admin and browsable API.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

ROOT_URLCONF = "tracker.urls"

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

WSGI_APPLICATION = "tracker.wsgi.application"

# Without DATABASE_URL: an embedded SQLite file under var/ (git-ignored).
if not os.environ.get("DATABASE_URL"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}

# SQLite (the embedded database of `make run`): a transaction takes the write lock when it
# begins and waits up to 20 s for another's, so two editors saving at once queue up. SQLite's
# default (deferred) cannot wait when a transaction that has read then writes: one of the two
# got "database is locked" at once, a 500 (an adversarial pass, 2 runs in 3). WAL: readers
# read while a write is under way.
SQLITE_OPTIONS = {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env_bool("DJANGO_PG_JIT", False):
    # JIT compilation costs more than it saves on short web queries over large tables.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"

# Scale-out: read replicas (hot standbys), e.g. DATABASE_REPLICA_URLS=postgres://r1/tracker,postgres://r2/tracker
DATABASE_REPLICAS = []
for index, url in enumerate(env_list("DATABASE_REPLICA_URLS"), start=1):
    alias = f"replica_{index}"
    DATABASES[alias] = dj_database_url.parse(
        url, conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")), conn_health_checks=True
    )
    DATABASES[alias]["TEST"] = {"MIRROR": "default"}
    if DATABASES[alias]["ENGINE"] == "django.db.backends.postgresql":
        # The primary's session options; a replica that does not answer within 2 seconds is
        # skipped (its reads go to the primary), not waited for. The URL's own options win.
        DATABASES[alias]["OPTIONS"] = {
            "connect_timeout": 2,
            **DATABASES["default"].get("OPTIONS", {}),
            **DATABASES[alias].get("OPTIONS", {}),
        }
    DATABASE_REPLICAS.append(alias)
# A replica further behind than this, not streaming, or unreachable is skipped: its reads go to
# the primary (tracker/db_router.py). Each process measures each replica at most every
# DATABASE_REPLICA_CHECK_SECONDS, and retries an unreachable one after five times that.
DATABASE_REPLICA_MAX_LAG_SECONDS = float(os.environ.get("DJANGO_REPLICA_MAX_LAG_SECONDS", "5"))
DATABASE_REPLICA_CHECK_SECONDS = float(os.environ.get("DJANGO_REPLICA_CHECK_SECONDS", "2"))
DATABASE_REPLICA_RETRY_SECONDS = 5 * DATABASE_REPLICA_CHECK_SECONDS
DATABASE_ROUTERS = ["tracker.db_router.PrimaryReplicaRouter"]

# The cache holds the API's rate-limit counters and briefly cached counts, so it must be
# shared by every worker and host: Redis when REDIS_URL is set, else a table in the
# database (created by `migrate`), which needs no other service.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"]}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "tracker_cache",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

FIXTURE_DIRS = [BASE_DIR / "fixtures"]
# dumpdata/loaddata JSON that keeps timestamps to the microsecond (history round-trips).
SERIALIZATION_MODULES = {"json": "transfers.fixtures_json"}

# Django 6 behaviour now: URLs typed without a scheme are https.
FORMS_URLFIELD_ASSUME_HTTPS = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Security: on unless debugging. Behind a TLS-terminating proxy set
# DJANGO_SECURE_PROXY_SSL_HEADER=1 (trusts X-Forwarded-Proto).
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("DJANGO_CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# A refused CSRF check under /api/ answers JSON, like every other API error.
CSRF_FAILURE_VIEW = "transfers.api.exceptions.csrf_failure"

REST_FRAMEWORK = {
    # Token first: a bad token then answers 401 with WWW-Authenticate (DRF takes the
    # challenge from the first class; the session's has none, so 401s became 403s).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.DjangoModelPermissionsOrAnonReadOnly",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "transfers.api.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    # A JSON API: writes are JSON (the browsable API's raw-data form too), so the
    # schema's types and patterns are what the server checks; form encodings would turn
    # every value into text first.
    "DEFAULT_PARSER_CLASSES": ["transfers.api.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "transfers.api.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "transfers.api.schema.TrackerAutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "EXCEPTION_HANDLER": "transfers.api.exceptions.exception_handler",
    # Abuse limits, per client address (anonymous) or user, counted in the shared cache.
    "DEFAULT_THROTTLE_CLASSES": [
        "transfers.api.throttling.AnonRateThrottle",
        "transfers.api.throttling.UserRateThrottle",
        "transfers.api.throttling.ExportRateThrottle",
    ],
    # "off" lifts a limit (local runs); see README, Configuration.
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_rate("DJANGO_THROTTLE_ANON", "120/min"),
        "user": env_rate("DJANGO_THROTTLE_USER", "600/min"),
        "export": env_rate("DJANGO_THROTTLE_EXPORT", "20/hour"),
        "export_user": env_rate("DJANGO_THROTTLE_EXPORT_USER", "600/hour"),
    },
}

# How many proxies we run in front of the app (nginx, a load balancer). 0: the client's
# address is the connection's, and X-Forwarded-For is ignored, since any client can send
# one. N: the address the N-th proxy from us saw, which a client cannot forge.
TRUSTED_PROXY_COUNT = int(os.environ.get("DJANGO_TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "transfers.api.throttling.client_ip"

# Counting a whole unfiltered list of a million rows is slow; its count is cached this long.
API_COUNT_CACHE_SECONDS = int(os.environ.get("DJANGO_COUNT_CACHE_SECONDS", "30"))
# The reading room's charts and tables (summaries of the register) are kept in the shared cache
# this long: a summary by delivery year reads every delivery. 0: computed on every request.
READING_CACHE_SECONDS = int(os.environ.get("DJANGO_READING_CACHE_SECONDS", "60"))
# Each process keeps the API's summaries it answered at the latest data version (exact: a
# write changes the version), this many groups in all. 0: computed on every request.
API_SUMMARY_KEPT_ROWS = max(0, int(os.environ.get("DJANGO_SUMMARY_KEPT_ROWS", "20000")))
# Anonymous GETs (API and reading room) may be kept by shared caches (nginx, a CDN) this
# long; after that, or at once with 0, they revalidate with the ETag (a 304 costs one
# query). Authenticated requests are never shared (transfers/http_cache.py).
HTTP_CACHE_SECONDS = max(0, int(os.environ.get("DJANGO_HTTP_CACHE_SECONDS", "60")))
# On PostgreSQL the trade register's CSV is written by the database (COPY): about twice
# as fast as writing it in Python. Off: the Python path, which SQLite always uses.
API_CSV_COPY = env_bool("DJANGO_CSV_COPY", True)

SPECTACULAR_SETTINGS = {
    "TITLE": "Arms-transfer event tracker API",
    "DESCRIPTION": (
        "Who supplies which weapon systems to whom, under which contracts, delivered when, "
        "and which source said so. Anonymous clients read; writes need a user with the "
        "model's permission (session or token)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # A claim's asserted status and field: their own vocabularies (transfers.assertions),
    # beside the contract's status (named as before they came).
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "transfers.models.Contract.Status",
        "AssertedStatusEnum": "transfers.assertions.AssertedStatus",
        "AssertionFieldEnum": "transfers.assertions.AssertionField",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}
