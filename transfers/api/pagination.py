from rest_framework import pagination


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """`limit`/`offset`, 50 by default, at most 1000 per page."""

    default_limit = 50
    max_limit = 1000
