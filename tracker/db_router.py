"""Reads to PostgreSQL replicas, writes to the primary (DATABASE_REPLICA_URLS).

Read-your-writes: once a request has written (or is a POST/PUT/PATCH/DELETE, or
is inside a transaction), its reads go to the primary too, so a client never
reads an older version than the one it just wrote. Sessions, users, tokens and
lockouts are always read from the primary.
"""

import contextvars
import random

from django.conf import settings
from django.db import connections

_use_primary = contextvars.ContextVar("use_primary", default=False)
PRIMARY_ONLY_APPS = {"sessions", "auth", "authtoken", "axes", "admin", "contenttypes"}
# Django's database cache (rate-limit counters, cached counts): on the primary, shared by
# every worker and host; its writes are bookkeeping, not the request's data, so they do
# not move the request's reads off the replicas.
CACHE_APP = "django_cache"


def replicas():
    return list(getattr(settings, "DATABASE_REPLICAS", []))


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        available = replicas()
        if (
            not available
            or model._meta.app_label == CACHE_APP
            or _use_primary.get()
            or model._meta.app_label in PRIMARY_ONLY_APPS
            or connections["default"].in_atomic_block
        ):
            return "default"
        return random.choice(available)

    def db_for_write(self, model, **hints):
        if model._meta.app_label != CACHE_APP:
            _use_primary.set(True)
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # replicas hold the same data as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


class ReadYourWritesMiddleware:
    """Each request starts on the replicas; writing requests stay on the primary."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _use_primary.set(request.method not in ("GET", "HEAD", "OPTIONS"))
        try:
            return self.get_response(request)
        finally:
            _use_primary.reset(token)
