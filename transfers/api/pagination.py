from django.conf import settings
from django.core.cache import cache
from rest_framework import pagination

# Parameters that do not change which rows a list holds.
PAGE_PARAMETERS = {"limit", "offset", "ordering", "format"}


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """`limit`/`offset`, 50 by default, at most 1000 per page.

    The count of a whole unfiltered list (a million transfers) is the slowest
    part of its first page; it is cached for a few seconds, so it may lag
    behind the newest rows by that much. Filtered counts are always exact.
    """

    default_limit = 50
    max_limit = 1000

    def get_count(self, queryset):
        request = getattr(self, "request", None)
        seconds = getattr(settings, "API_UNFILTERED_COUNT_CACHE_SECONDS", 30)
        if not seconds or request is None or set(request.query_params) - PAGE_PARAMETERS:
            return super().get_count(queryset)
        key = f"unfiltered-count:{queryset.model._meta.label_lower}:{request.path}"
        count = cache.get(key)
        if count is None:
            count = super().get_count(queryset)
            cache.set(key, count, seconds)
        return count
