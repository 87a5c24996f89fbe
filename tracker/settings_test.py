"""Test settings: the production settings with a fixed key and fast hashing.

The database comes from DATABASE_URL (PostgreSQL in `make test`); without it,
SQLite.
"""

import os

import dj_database_url

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")

from .settings import *  # noqa: E402,F403
from .settings import DATABASES, SQLITE_OPTIONS, VAR_DIR  # noqa: E402

if not os.environ.get("DATABASE_URL"):
    DATABASES["default"] = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(VAR_DIR / "test.sqlite3"),
        "OPTIONS": SQLITE_OPTIONS,
    }
DATABASES["default"]["CONN_MAX_AGE"] = 0
# A second alias on the same test database, for the read-replica router's tests.
DATABASES["replica_test"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
# A real hot standby of the test server (`WITH_REPLICA=1 scripts/with-postgres`, as `make test`
# runs it): streaming replication copies the test database to it, and the mirror reads it
# by the same name (tests/test_replica.py). Only those tests route reads to it.
if os.environ.get("STANDBY_URL") and os.environ.get("DATABASE_URL"):
    DATABASES["standby"] = dj_database_url.parse(os.environ["STANDBY_URL"], conn_max_age=0, conn_health_checks=True)
    DATABASES["standby"]["TEST"] = {"MIRROR": "default"}

# Tests make thousands of requests; throttling has its own tests.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    # Off: query-count baselines count a request's own queries (a limit adds one); the
    # limits have their own tests, which set rates.
    "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None, "export": None, "export_user": None},
}
# Query-count baselines count the request's own queries; the shared cache of production
# (a database table) has its own tests against a server with several workers.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Exact counts everywhere in tests (the cache has its own test).
API_COUNT_CACHE_SECONDS = 0
# The test client's login() gives axes no request; lockouts have their own test.
AXES_ENABLED = False

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# WhiteNoise looks a static file up when it is asked for, instead of listing STATIC_ROOT
# whenever a test client loads the middleware: the README's deployment test runs
# collectstatic into that directory while the other database's tests run, and a listing
# met a file collectstatic had just replaced (a race test's request failed, once in CI).
WHITENOISE_AUTOREFRESH = True
