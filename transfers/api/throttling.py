from rest_framework.throttling import SimpleRateThrottle


class ExportRateThrottle(SimpleRateThrottle):
    """CSV exports stream every matching row: a stricter rate than page requests."""

    scope = "export"

    def allow_request(self, request, view):
        if getattr(getattr(request, "accepted_renderer", None), "format", None) != "csv":
            return True
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            ident = request.user.pk
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
