"""HTTP caching, in one place: validators and 304s for the API and the reading room
(HTTPCacheMixin), and who may keep a response (CacheControlMiddleware).

Validators. The ETag of a GET is a hash of the data version (transfers.data_version,
which changes in the transaction of every write), the request's full URL with its query,
the representation (the media type negotiated: JSON, CSV, HTML) and who is asking (the
anonymous public, or one user: what some pages show depends on it). The version is read
after authentication, permissions, throttles and the parameters' checks (a bad request
is still a 400), and before the page's own queries: a client that sends the ETag it
holds in If-None-Match gets a 304 for one query. A detail's ETag also carries the
record's own version first ("<record version>.<validator>"), which If-Match on writes
compares (ConditionalWriteMixin), so one ETag serves both.

Who may keep a response. An anonymous GET answered 200 or 304 is public for
HTTP_CACHE_SECONDS (DJANGO_HTTP_CACHE_SECONDS, 0: shared caches must revalidate each
time), and varies on Accept, Authorization and Cookie, so a shared cache (nginx, a CDN)
answers repeats and never gives one client's response to another that sends
credentials. Authenticated requests get `private, no-cache` (a browser may keep them,
and revalidates each time); writes, errors, redirects and responses that set a cookie
get `no-store`.
"""

import hashlib

from django.conf import settings
from django.http import HttpResponseNotModified
from django.utils.cache import patch_vary_headers

from . import data_version

SAFE = ("GET", "HEAD")
VARY = ("Accept", "Authorization", "Cookie")


def entity_tags(header):
    """The entity tags of an If-None-Match or If-Match header, without W/ and quotes."""
    return [value.strip().removeprefix("W/").strip('"') for value in header.split(",") if value.strip()]


def validator_of(tag):
    """The part of an ETag that If-None-Match compares (after the record version, if any)."""
    return tag.rsplit(".", 1)[-1]


def record_version_of_tag(tag):
    """The record version an ETag carries (the whole tag when it is only that)."""
    return tag.split(".", 1)[0]


def visibility(request):
    user = getattr(request, "user", None)
    return f"user:{user.pk}" if user is not None and user.is_authenticated else "public"


def validator(request, version):
    representation = getattr(request, "accepted_media_type", "") or ""
    key = "\n".join([str(version), request.build_absolute_uri(), representation, visibility(request)])
    return hashlib.sha256(key.encode()).hexdigest()[:24]


class HTTPCacheMixin:
    """For DRF views (the API's viewsets, the reading room's pages): ETags on every GET,
    304 when If-None-Match holds the current one, without running the page's queries."""

    http_validator = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method not in SAFE:
            return
        version = data_version.current()
        # The version this response's data is at least as new as: caches keyed by it
        # (counts, summaries) are never stale.
        request.data_version = version
        self.http_validator = validator(request, version)
        held = entity_tags(request.headers.get("If-None-Match", ""))
        if any(validator_of(tag) == self.http_validator for tag in held):
            matched = next(tag for tag in held if validator_of(tag) == self.http_validator)
            self._not_modified_etag = f'"{matched}"'
            # Answered without running the handler (the page's queries).
            setattr(self, request.method.lower(), self._not_modified)

    def _not_modified(self, request, *args, **kwargs):
        return HttpResponseNotModified()

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.http_validator and response.status_code == 304:
            response["ETag"] = self._not_modified_etag
        elif self.http_validator and response.status_code == 200 and request.method in SAFE:
            own = response.get("ETag")
            # A detail's ETag: its record version, then the validator.
            inner = f"{entity_tags(own)[0]}.{self.http_validator}" if own else self.http_validator
            response["ETag"] = f'"{inner}"'
            if "*" in entity_tags(request.headers.get("If-None-Match", "")):
                # `*` holds for any current representation (RFC 9110, 13.1.2): it exists.
                etag, response = response["ETag"], HttpResponseNotModified()
                response["ETag"] = etag
            # Marked for CacheControlMiddleware: this response may be shared when anonymous.
        if self.http_validator and response.status_code in (200, 304):
            response.shared_cacheable = True
        return response


def cache_control(request, response):
    """The Cache-Control (and Vary) of a response: the one rule for every response."""
    if "Cache-Control" in response and not getattr(response, "shared_cacheable", False):
        return  # set by its view (the admin, static files)
    if request.method not in SAFE or response.status_code not in (200, 304) or response.cookies:
        response["Cache-Control"] = "no-store"
        return
    if not getattr(response, "shared_cacheable", False):
        response["Cache-Control"] = "private, no-cache"
        return
    patch_vary_headers(response, VARY)
    user = getattr(request, "user", None)
    if "HTTP_AUTHORIZATION" in request.META or (user is not None and user.is_authenticated):
        response["Cache-Control"] = "private, no-cache"
    else:
        response["Cache-Control"] = f"public, max-age={settings.HTTP_CACHE_SECONDS}"


class CacheControlMiddleware:
    """Placed above the session, CSRF and authentication middleware, so that it sees the
    cookies they set and the user they found (or DRF's, which DRF copies onto the request)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        cache_control(request, response)
        return response
