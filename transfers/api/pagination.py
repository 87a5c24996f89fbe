import hashlib
import operator
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import F
from django.db.models.query import ModelIterable, QuerySet
from rest_framework import pagination
from rest_framework.exceptions import ValidationError

# Parameters that choose a page of a list, and those that do not change which rows it holds.
SLICE_PARAMETERS = {"limit", "offset"}
PAGE_PARAMETERS = SLICE_PARAMETERS | {"ordering", "format"}


def parameters_asked(request, *, ignored):
    """The request's parameters as a key: by name, each with all its values in order, less
    those `ignored` (the page, the format): what keeps an answer for the same question."""
    return tuple(sorted((name, tuple(values)) for name, values in request.query_params.lists() if name not in ignored))


@dataclass(frozen=True)
class PageQuery:
    """What a list page is read from.

    `rows`: the queryset whose rows the page holds (model instances, or value tuples that
    start with the pk). `plain`: the same rows without the joins of the page's columns,
    which the count and a query for ids would otherwise keep; `rows` when not given.
    `ids_first`: read the page's ids first even when it is sorted on its own columns.
    `rows_of_ids`: read the page's rows by their ids with this function (then always in
    two steps; the query for the ids as `rows` would have been, when not in_two_steps).
    """

    rows: QuerySet
    plain: QuerySet | None = None
    ids_first: bool = False
    # A function of the page's ids that returns {pk: row} (the view's rows read by SQL
    # compiled once); None: the rows are `rows` filtered by pk.
    rows_of_ids: Callable | None = None
    # The SQL of the page's ids compiled for this list before, by (database, page), kept
    # with its filtered queryset (api.mixins.FilteredLists); None: compiled every time.
    id_statements: dict | None = None

    @property
    def counted(self):
        """The queryset the count and the page's ids are read from."""
        return self.rows if self.plain is None else self.plain

    def in_two_steps(self):
        """Whether the page is read as ids first, then their rows."""
        return self.ids_first or _sorts_on_other_columns(self.rows)


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """`limit`/`offset`, 50 by default, at most 1000 per page.

    The count is the slowest part of a first page (a million transfers, one
    supplier's 300,000 deliveries, a word in 800,000 claims); it is cached for a
    few seconds per list, filters and reader under the data version
    (transfers.data_version), so it is exact: a write changes the key. The next
    page, and the same list asked again, are not counted again.

    A page ordered by something that is not a column of the listed table (a
    supplier's code, a computed quantity) is read in two steps: the page's ids
    from a narrow query, which PostgreSQL answers keeping only the top rows of
    its sort, then those rows with everything they show. In one step it sorted
    the whole joined, annotated register.

    `paginate(PageQuery(...), request)` reads a page; `paginate_queryset` (DRF's
    interface) is `paginate` of the queryset alone.
    """

    def paginate_queryset(self, queryset, request, view=None):
        return self.paginate(PageQuery(queryset), request, view)

    def paginate(self, query, request, view=None):
        """The page of `query` (a PageQuery) this request asks for; None when not paginated."""
        self.request = request
        self.limit = self.get_limit(request)
        if self.limit is None:
            return None
        self.count = self.get_count(query.counted)
        self.offset = self.get_offset(request)
        if self.count > self.limit and self.template is not None:
            self.display_page_controls = True
        if self.count == 0 or self.offset > self.count:
            return []
        two_steps = query.in_two_steps()
        if not two_steps and query.rows_of_ids is None:
            return list(query.rows[self.offset : self.offset + self.limit])
        ids_query = query.counted
        few = two_steps and self.count <= self.FEW
        if few:
            ids_query = ids_query.order_by(*(_unindexed_pk(term) for term in ids_query.query.order_by))
        ids = self._page_ids(ids_query, query.id_statements, few)
        if query.rows_of_ids is not None:
            by_pk = query.rows_of_ids(ids)
        else:
            rows = query.rows
            pk_of = operator.attrgetter("pk") if rows._iterable_class is ModelIterable else operator.itemgetter(0)
            by_pk = {pk_of(row): row for row in rows.filter(pk__in=ids).order_by()}
        return [by_pk[pk] for pk in ids if pk in by_pk]

    def _page_ids(self, ids_query, statements, few):
        """The page's ids; by the statement compiled for the same list and page before, when
        the list keeps them (compiling it took 0.1-0.15 ms of a page's Python time)."""
        if statements is None:
            return list(ids_query.values_list("pk", flat=True)[self.offset : self.offset + self.limit])
        db = ids_query.db
        key = (db, few, self.offset, self.limit)
        statement = statements.get(key)
        if statement is None:
            page = ids_query.values_list("pk", flat=True)[self.offset : self.offset + self.limit]
            try:
                statement = page.query.get_compiler(db).as_sql()
            except EmptyResultSet:
                statement = ()  # no rows, as the queryset answers it: no query
            if len(statements) >= self.MAX_STATEMENTS:
                statements.clear()
            statements[key] = statement
        if not statement:
            return []
        with connections[db].cursor() as cursor:
            cursor.execute(*statement)
            # The ids as the database returns them: integers, which no converter changes.
            return [row[0] for row in cursor.fetchall()]

    # Pages of one list whose statements are kept (a client reading a long list page by page).
    MAX_STATEMENTS = 100

    # Few matching rows are sorted (a bitmap scan, then a top-N sort), not found by walking
    # the primary key in order: PostgreSQL takes a selective text search for a broad one
    # and walked all 830k claims to find 23 (560 ms).
    FEW = 10_000

    default_limit = 50
    max_limit = 1000

    def get_limit(self, request):
        # Above the maximum is capped (a client asking for everything gets the largest page).
        limit = self._whole_number(request, self.limit_query_param, minimum=1)
        return self.default_limit if limit is None else min(limit, self.max_limit)

    def get_offset(self, request):
        offset = self._whole_number(request, self.offset_query_param, minimum=0)
        return 0 if offset is None else offset

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["schema"]["minimum"] = 1
                parameter["description"] = (
                    f"Rows per page, {self.default_limit} by default; above {self.max_limit} is {self.max_limit}."
                )
            elif parameter["name"] == self.offset_query_param:
                parameter["schema"]["minimum"] = 0
        return parameters

    @staticmethod
    def _whole_number(request, name, *, minimum):
        """The parameter as an integer >= minimum; None when absent or empty; else a 400."""
        raw = request.query_params.get(name, "").strip()
        if raw == "":
            return None
        if not raw.isascii() or not raw.isdigit():
            raise ValidationError({name: [f"Give a whole number of at least {minimum}; got {raw[:40]!r}."]})
        # Past any table's size (and Python's limit on digits converted) is as good as huge;
        # leading zeros are no digits of it.
        digits = raw.lstrip("0") or "0"
        number = int(digits) if len(digits) <= 18 else 10**18
        if number < minimum:
            raise ValidationError({name: [f"Give a whole number of at least {minimum}; got {raw[:40]!r}."]})
        return number

    def get_count(self, queryset):
        request = getattr(self, "request", None)
        seconds = getattr(settings, "API_COUNT_CACHE_SECONDS", 30)
        if not seconds or request is None:
            return super().get_count(queryset)
        # Keyed by the data version the request read (transfers.http_cache): exact, since
        # any write changes it; and by the filters and who asks (a list may show an editor more).
        version = getattr(request, "data_version", None)
        if version is None:
            return super().get_count(queryset)
        filters = parameters_asked(request, ignored=PAGE_PARAMETERS)
        reader = request.user.pk if request.user.is_authenticated else "anonymous"
        asked = hashlib.sha256(repr((request.path, filters, reader)).encode()).hexdigest()
        key = f"count:{queryset.model._meta.label_lower}:{asked}:{version}"
        count = _recent_counts.get(key)
        if count is None:
            count = cache.get(key)
            if count is None:
                count = super().get_count(queryset)
                cache.set(key, count, seconds)
            _recent_counts.put(key, count, seconds)
        return count


class RecentCounts:
    """This process's copy of the counts it read or wrote in the shared cache lately: the
    same key (under the data version, so as exact), without the cache's round trip on
    every page of a list asked again. Kept at most as long as the shared cache keeps them,
    and at most MAX of them."""

    MAX = 1000

    def __init__(self):
        self._counts = {}

    def get(self, key):
        found = self._counts.get(key)
        if found is None or found[1] <= time.monotonic():
            return None
        return found[0]

    def put(self, key, count, seconds):
        if len(self._counts) >= self.MAX:
            self._counts.clear()
        self._counts[key] = (count, time.monotonic() + seconds)


_recent_counts = RecentCounts()


def _sorts_on_other_columns(queryset):
    local = {f.name for f in queryset.model._meta.concrete_fields} | {"pk"}
    for term in queryset.query.order_by:
        if not isinstance(term, str) or term.lstrip("-") not in local:
            return True
    return False


def _unindexed_pk(term):
    """An ordering on the pk as an expression no index serves (pk + 0), same order."""
    if isinstance(term, str) and term.lstrip("-") in ("pk", "id"):
        expression = F("pk") + 0
        return expression.desc() if term.startswith("-") else expression.asc()
    return term
