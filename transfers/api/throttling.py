"""Abuse limits: per client address for anonymous clients, per user otherwise.

Each limit is a fixed window per client, counted by one atomic statement that every
worker and host shares: an upsert of a row of RateCount in the database (one query
per limit and request), or an increment in Redis when REDIS_URL is set. The client's
address is one definition (client_ip) for the API's limits and the admin's login
lockout (django-axes).
"""

import random

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from rest_framework import throttling

from ..models import RateCount


def client_ip(request):
    """The client's address. Behind N trusted proxies (DJANGO_TRUSTED_PROXY_COUNT), the
    address the outermost of ours saw: the N-th entry from the right of X-Forwarded-For,
    since a client may prepend anything but cannot change what our proxies append.
    With no proxies, X-Forwarded-For is ignored."""
    meta = getattr(request, "META", {})
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        addresses = [address.strip() for address in forwarded.split(",") if address.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    return meta.get("REMOTE_ADDR", "")


# Rows of windows long closed are deleted now and then, by a request picked at random.
CLEANUP_CHANCE = 0.002


def rate_count_hit(*, key, window_end, now):
    """Count one request of `key` in the window that closes at `window_end`; the number
    of requests in that window so far, this one included."""
    if getattr(settings, "REDIS_URL", ""):
        counter = f"rate:{key}:{window_end}"
        cache.add(counter, 0, timeout=max(1, int(window_end - now)) + 1)
        return cache.incr(counter)
    table = connections["default"].ops.quote_name(RateCount._meta.db_table)
    with connections["default"].cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, window_end, hits) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (key) DO UPDATE SET hits = CASE WHEN {table}.window_end = excluded.window_end "
            f"THEN {table}.hits + 1 ELSE 1 END, window_end = excluded.window_end RETURNING hits",
            [key[:200], window_end],
        )
        hits = cursor.fetchone()[0]
        if random.random() < CLEANUP_CHANCE:  # noqa: S311 (not security: housekeeping)
            cursor.execute(f"DELETE FROM {table} WHERE window_end < %s", [int(now)])  # noqa: S608
    return hits


class WindowRateThrottle(throttling.SimpleRateThrottle):
    """DRF's rate throttle with the count kept by rate_count_hit: a fixed window (a client
    may spend its allowance at the end of one window and the start of the next)."""

    def get_ident(self, request):
        return client_ip(request)

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        self.window_end = (int(self.now) // self.duration + 1) * self.duration
        return rate_count_hit(key=self.key, window_end=self.window_end, now=self.now) <= self.num_requests

    def wait(self):
        return max(0.0, self.window_end - self.now)


class AnonRateThrottle(WindowRateThrottle, throttling.AnonRateThrottle):
    """Anonymous clients, per address."""


class UserRateThrottle(WindowRateThrottle, throttling.UserRateThrottle):
    """Signed-in users, per user (anonymous clients have the anonymous limit)."""

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


class ExportRateThrottle(WindowRateThrottle):
    """CSV exports stream every matching row: a stricter rate than page requests, and
    for anonymous clients a stricter one than for signed-in users (scope export_user)."""

    scope = "export"

    def allow_request(self, request, view):
        if getattr(getattr(request, "accepted_renderer", None), "format", None) != "csv":
            return True
        if request.user and request.user.is_authenticated:
            self.scope = "export_user"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            ident = request.user.pk
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
