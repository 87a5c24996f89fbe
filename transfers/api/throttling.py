"""Abuse limits: per client address for anonymous clients, per user otherwise.

Counts live in Django's default cache, which settings make shared by every worker
and host (the database, or Redis), so a limit holds however many processes serve.
The client's address is one definition (client_ip) for the API's limits and the
admin's login lockout (django-axes).
"""

from django.conf import settings
from rest_framework import throttling


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


class ClientIdentMixin:
    def get_ident(self, request):
        return client_ip(request)


class AnonRateThrottle(ClientIdentMixin, throttling.AnonRateThrottle):
    """Anonymous clients, per address."""


class UserRateThrottle(ClientIdentMixin, throttling.UserRateThrottle):
    """Authenticated users, per user (anonymous ones per address)."""


class ExportRateThrottle(ClientIdentMixin, throttling.SimpleRateThrottle):
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
