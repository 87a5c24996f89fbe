"""The behaviours every resource of the API shares, one mixin each; views.py composes them.

- StrictParametersMixin: unknown, repeated or malformed query parameters are a 400.
- AlternateLookupMixin: detail URLs by id or by the record's own key (/api/actors/RUS/).
- ValueListMixin: list pages and CSV read as value tuples, shaped by the serializer.
- ConditionalWriteMixin: ETags on details, writes conditional on If-Match (412).
- HistoryMixin: /<resource>/{id}/history/.
"""

import contextlib
import copy
import hashlib

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.models import ProtectedError
from django.db.models.expressions import RawSQL
from django.db.models.functions import Upper
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, MethodNotAllowed, NotFound, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from ..history import history_entries, record_version_of
from ..http_cache import entity_tags, record_version_of_tag, visibility
from . import serializers as s
from .csv import CSVRenderer, copy_select, queryset_csv_row_chunks, stream_queryset_as_csv
from .fields import is_id
from .filters.base import names_version
from .pagination import SLICE_PARAMETERS, PageQuery, parameters_asked
from .rows import ValueShape


def record_etag(instance):
    """The record's version (history.record_version, which the admin's optimistic lock
    compares too) as an ETag: it changes when any of the record's own values does."""
    return f'"{record_version_of(instance=instance)}"'


def _if_match_values(header):
    """The record versions an If-Match header names, quoted: a GET's ETag of a detail is
    "<record version>.<validator>" (transfers.http_cache), of which writes compare the first."""
    return [f'"{record_version_of_tag(tag)}"' if tag != "*" else tag for tag in entity_tags(header)]


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The ETag of the version you edited; a stale one answers 412 and changes nothing.",
)


class PreconditionFailed(APIException):
    """A write based on another version than the current one (stale If-Match)."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The record changed since you read it (stale If-Match); nothing was changed."

    def __init__(self, *, etag):
        super().__init__()
        self.etag = etag


class StrictParametersMixin:
    # Query parameters besides a resource's filters: on every request, and on lists.
    REQUEST_PARAMETERS = {"format"}
    LIST_PARAMETERS = {"limit", "offset", "ordering", "search"}
    # Actions that take more: {action: parameters}.
    action_parameters = {}

    def accepted_query_parameters(self):
        names = set(self.REQUEST_PARAMETERS) | set(self.action_parameters.get(self.action, ()))
        if self.action in ("list", "summary"):
            names |= self.LIST_PARAMETERS | set(getattr(self, "filterset_class", None).base_filters)
        return names

    def initial(self, request, *args, **kwargs):
        # A method the URL does not take is a 405 before anything about its parameters.
        if request.method.lower() not in self.http_method_names or not hasattr(self, request.method.lower()):
            raise MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)
        # A misspelt filter (?suplier=RUS) would otherwise be ignored and return everything.
        accepted = self.accepted_query_parameters()
        unknown = [name for name in request.query_params if name not in accepted]
        if unknown:
            listed = ", ".join(sorted(accepted))
            raise ValidationError({name[:60]: [f"Unknown parameter; this URL accepts: {listed}."] for name in unknown})
        # Only the last of a repeated parameter would count, silently: several values are
        # written comma-separated (supplier=RUS,FRA).
        repeated = [name for name, values in request.query_params.lists() if len(values) > 1]
        if repeated:
            raise ValidationError(
                {name: ["Given more than once; give it once (several values comma-separated)."] for name in repeated}
            )

    def perform_content_negotiation(self, request, force=False):
        try:
            if not force and request.query_params.get("format", None) == "":
                raise Http404  # an empty format= names no format (found by schemathesis)
            return super().perform_content_negotiation(request, force=force)
        except Http404 as exc:
            # An unknown ?format= is the client's mistake, not a missing page.
            offered = ", ".join(renderer.format for renderer in self.get_renderers())
            requested = str(request.query_params.get("format", ""))[:40]
            raise ValidationError({"format": [f"Unknown format {requested!r}; choose from: {offered}."]}) from exc


class AlternateLookupMixin:
    # Detail URLs take the numeric id or this field (e.g. /api/actors/RUS/).
    alternate_lookup = None
    alternate_lookup_case_insensitive = False

    def get_object(self):
        value = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        queryset = self.filter_queryset(self.get_queryset()) if self.action != "history" else self.get_queryset()
        if is_id(value):
            obj = queryset.filter(pk=int(value)).first()
        elif self.alternate_lookup and "\x00" not in value:
            if self.alternate_lookup_case_insensitive:
                queryset = queryset.annotate(_lookup=Upper(self.alternate_lookup))
                obj = queryset.filter(_lookup=value.upper()).first()
            else:
                obj = queryset.filter(**{self.alternate_lookup: value}).first()
        else:
            obj = None
        if obj is None:
            raise NotFound()
        self.check_object_permissions(self.request, obj)
        return obj


class ValueListMixin:
    csv_filename = "export"

    def get_renderers(self):
        # CSV is for lists (and the summary): rows, not single records or writes.
        renderers = super().get_renderers()
        if getattr(self, "action", None) not in {"list", "summary"}:
            renderers = [r for r in renderers if not isinstance(r, CSVRenderer)]
        return renderers

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors are JSON even when CSV was asked for: a client must be able to read why.
        if response.status_code >= 400 and isinstance(getattr(request, "accepted_renderer", None), CSVRenderer):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    def filter_queryset(self, queryset):
        # Filters belong to lists; a detail URL names its record.
        if self.action in {"list", "summary"}:
            return super().filter_queryset(queryset)
        return queryset

    # --- reads ---

    def list(self, request, *args, **kwargs):
        queryset = self.list_queryset()
        if getattr(request.accepted_renderer, "format", None) == "csv":
            if self.paginator is not None:
                # An export holds every row, but a malformed limit or offset is still a 400.
                self.paginator.get_limit(request), self.paginator.get_offset(request)
            return stream_queryset_as_csv(
                queryset=queryset,
                serializer_class=self.get_serializer_class(),
                context=self.get_serializer_context(),
                filename=self.csv_filename,
                row_chunks=self.csv_row_chunks(queryset),
                copy_select=self.csv_copy_select(queryset),
            )
        data = self.list_rows(queryset)
        if data is None:
            page = self.paginate_queryset(queryset)
            data = self.get_serializer(queryset if page is None else page, many=True).data
        return self.get_paginated_response(data) if self.paginator is not None else Response(data)

    # Whether a list's filtered queryset depends only on its parameters, its reader and the
    # data (not on the time, say): then each process builds it once per data version.
    filters_by_data_version = False

    def list_queryset(self):
        """The list's filtered queryset. Validating and applying the filters was the largest
        part of a repeated filtered list's Python time (0.5 ms of 2.3): a list asked again
        (another page of it, or the same) at the same data version reuses the one built then
        (FilteredLists)."""
        version = names_version(self.request) if self.filters_by_data_version else None
        if version is None:
            return self.filter_queryset(self.get_queryset())
        asked = parameters_asked(self.request, ignored=SLICE_PARAMETERS)
        key = (type(self), self.action, visibility(self.request), asked)
        found = _filtered_lists.get(version, key)
        if found is None:
            found = (self.filter_queryset(self.get_queryset()), {})
            _filtered_lists.put(version, key, found)
        queryset, self.id_statements = found
        # A copy for this request: the shared one is never evaluated (it would keep its rows).
        return queryset.all()

    # The statements of the page's ids kept with the list's filtered queryset (PageQuery).
    id_statements = None

    def list_rows(self, queryset):
        """The page's representations from value tuples (a third of the time of model
        instances rendered field by field); None: use the serializer."""
        shape = self.value_shape(queryset)
        if shape is None:
            return None
        rows_of_ids = self.rows_of_ids(shape, queryset)
        if rows_of_ids is not None and self.paginator is not None:
            # The page's ids from the filtered queryset, then their rows by SQL compiled once.
            query = PageQuery(
                queryset, ids_first=self.ids_first, rows_of_ids=rows_of_ids, id_statements=self.id_statements
            )
            page = self.paginator.paginate(query, self.request, view=self)
            if page is not None:
                return shape.represent(page)
        values = shape.values_of(queryset)
        # The count and the page's ids come from the queryset without the joins of the values.
        query = PageQuery(values, plain=queryset, ids_first=self.ids_first, id_statements=self.id_statements)
        return shape.represent(self.paginate_values(query))

    def value_shape(self, queryset):
        # Once per resource (and set of annotations), not per request.
        shapes = type(self).__dict__.get("_value_shapes")
        if shapes is None:
            shapes = type(self)._value_shapes = {}
        key = frozenset(queryset.query.annotations)
        if key not in shapes:
            # A serializer without this request: the shape outlives it.
            shapes[key] = ValueShape.of(self.get_serializer_class()(), queryset, self.computed_fields)
        return shapes[key]

    # Read list pages in two steps: the ids from a narrow query, then their rows.
    ids_first = False

    # On PostgreSQL, read a page's rows by their ids with SQL compiled once per resource
    # (RowsByIds): compiling the page's query (its joins, subqueries and annotations) took
    # longer than PostgreSQL took to run it. Only for resources whose get_queryset() does
    # not depend on the request (its rows' values are the same for every reader).
    rows_by_compiled_sql = False

    def rows_of_ids(self, shape, queryset):
        """A function of a page's ids that returns {pk: value tuple}, or None."""
        if not self.rows_by_compiled_sql or connections[queryset.db].vendor != "postgresql":
            return None
        annotations = frozenset(queryset.query.annotations)
        reader = type(self).__dict__.get("_rows_by_ids")
        if reader is None:
            reader = type(self)._rows_by_ids = {}
        key = (queryset.db, annotations)
        if key not in reader:
            base = self.get_queryset()
            if frozenset(base.query.annotations) != annotations:
                return None  # the filters annotated: not the base's rows
            reader[key] = RowsByIds(shape.values_of(base), queryset.db)
        return reader[key]

    def paginate_values(self, query):
        """A page of value tuples (all of them without pagination), of `query` (a PageQuery)."""
        if self.paginator is None:
            return list(query.rows)
        page = self.paginator.paginate(query, self.request, view=self)
        return list(query.rows) if page is None else page

    # Values the serializer shows that are not columns, for lists and CSV read as
    # value tuples: {name: (value paths, function of their values)}.
    computed_fields = None

    def csv_row_chunks(self, queryset):
        """A function of the CSV columns that yields lists of rows (lists of values in
        column order), faster than the serializer; None: use the serializer."""
        return queryset_csv_row_chunks(
            queryset=queryset, serializer=self.get_serializer(), computed=self.computed_fields
        )

    def csv_copy_select(self, queryset):
        """On PostgreSQL, a function of the CSV columns that returns the (sql, params) of
        a SELECT of the finished CSV cells, for the database to write (COPY): generated
        from the same value shape as the Python path. None: the Python path."""
        if connections[queryset.db].vendor != "postgresql" or not settings.API_CSV_COPY:
            return None
        shape = self.value_shape(queryset)
        select = None if shape is None else copy_select(shape=shape, queryset=queryset)
        if select is None:
            return None

        def columns_select(columns):
            if columns != shape.columns:
                raise ValueError("The CSV columns are not the serializer's.")
            return select

        return columns_select


class RowsByIds:
    """The value tuples of a values queryset's rows with given ids: its SQL and its
    compiler's column converters made once, then one statement per page, whose only
    parameter is the array of ids (so its text is the same for every page).

    Outside transactions (every GET in production), each connection prepares it once
    (PREPARE, under a name made from its text) and executes it after that: PostgreSQL
    then neither parses nor plans it again, which took as long as running it. In a
    transaction, or when executing it fails (a schema changed under a long-lived
    connection), the SQL itself is sent."""

    def __init__(self, values, db):
        ids = RawSQL("SELECT unnest(%s)", (_PAGE_IDS,))
        query = values.filter(pk__in=ids).order_by().query
        self.db = db
        self.compiler = query.get_compiler(db)
        self.sql, params = self.compiler.as_sql()
        self.params = list(params)
        # The columns' converters, found once: finding them took as long as converting a page.
        self.columns = [select[0] for select in self.compiler.select[: self.compiler.col_count]]
        self.converters = self.compiler.get_converters(self.columns)
        self.composite = self.compiler.has_composite_fields(self.columns)
        (self.at,) = [i for i, param in enumerate(self.params) if param is _PAGE_IDS]
        self.name = "tracker_rows_" + hashlib.sha256(self.sql.encode()).hexdigest()[:20]

    def __call__(self, ids):
        if not ids:
            return {}
        connection = connections[self.db]
        with connection.cursor() as cursor:
            if not self._execute_prepared(connection, cursor, ids):
                params = list(self.params)
                params[self.at] = list(ids)
                cursor.execute(self.sql, params)
            fetched = cursor.fetchall()
        compiler = copy.copy(self.compiler)
        compiler.connection = connection
        rows = [row[: compiler.col_count] for row in fetched] if compiler.has_extra_select else fetched
        # As compiler.results_iter() converts them, with the converters found once.
        if self.converters:
            rows = compiler.apply_converters(rows, self.converters)
        if self.composite:
            rows = compiler.composite_fields_to_tuples(rows, self.columns)
        return {row[0]: tuple(row) for row in rows}

    def _execute_prepared(self, connection, cursor, ids):
        """Execute the prepared statement (preparing it on this connection first); False
        when it cannot be (SQLite, psycopg 3, in a transaction, an error: nothing was run)."""
        if connection.vendor != "postgresql" or connection.in_atomic_block:
            return False
        from django.db.backends.postgresql.psycopg_any import is_psycopg3

        if is_psycopg3:
            return False
        from psycopg2.extensions import AsIs

        raw = connection.connection
        # A reconnection is another session, without the statements of the last one.
        session = (id(raw), raw.get_backend_pid())
        prepared = connection.__dict__.setdefault("_tracker_prepared", {})
        try:
            if prepared.get(self.name) != session:
                params = list(self.params)
                params[self.at] = AsIs("$1")
                text = cursor.cursor.mogrify(self.sql, params).decode()
                cursor.execute(f"PREPARE {self.name} (bigint[]) AS {text}")
                prepared[self.name] = session
            cursor.execute(f"EXECUTE {self.name} (%s::bigint[])", [list(ids)])
            return True
        except DatabaseError:
            # Outside a transaction an error leaves the session usable: prepared again next time.
            prepared.pop(self.name, None)
            with contextlib.suppress(DatabaseError):
                cursor.execute(f"DEALLOCATE {self.name}")
            return False


_PAGE_IDS = ["the page's ids"]


class ByDataVersion:
    """What this process computed at the latest data version it saw, by key: the same key
    (parameters and reader) at the same version has the same answer, exactly, since any
    write changes the version. Bounded: the latest version only, and at most `max_size`,
    each value counting `size_of(value)` (1 by default)."""

    def __init__(self, *, max_size, size_of=None):
        self.max_size = max_size
        self.size_of = size_of or (lambda value: 1)
        self._version, self._values, self._size = None, {}, 0

    def get(self, version, key):
        return self._values.get(key) if version is not None and version == self._version else None

    def put(self, version, key, value):
        size = self.size_of(value)
        if version is None or size > self.max_size:
            return
        if version != self._version or self._size + size > self.max_size:
            self._version, self._values, self._size = version, {}, 0
        self._values[key] = value
        self._size += size


class FilteredLists(ByDataVersion):
    """The filtered querysets of the lists this process answered, each with the statements
    of its pages' ids (PageQuery.id_statements), per data version: the same parameters and
    reader at the same version filter the same rows (the names and ids the filters looked up
    included). At most MAX lists."""

    MAX = 500

    def __init__(self):
        super().__init__(max_size=self.MAX)


_filtered_lists = FilteredLists()


class ConditionalWriteMixin:
    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        return Response(self.get_serializer(instance).data, headers={"ETag": record_etag(instance)})

    # --- writes: validated like the admin, conditional on If-Match ---

    def _refetched(self, instance):
        # Another request may have deleted it in the meantime: that is a 404, not a 500.
        refetched = self.get_queryset().filter(pk=instance.pk).first()
        if refetched is None:
            raise NotFound("This record was deleted by another request.")
        return refetched

    def _check_if_match(self, instance):
        """A PreconditionFailed to raise when If-Match names another version; else None."""
        header = self.request.headers.get("If-Match")
        if not header:
            return None
        current = record_etag(instance)
        if "*" not in _if_match_values(header) and current not in _if_match_values(header):
            return PreconditionFailed(etag=current)
        return None

    def _locked_object(self):
        instance = self.get_object()
        # Lock the row so the If-Match check and the write see the same version. A
        # request that waited for the lock while another deleted the row finds nothing.
        if not type(instance).objects.select_for_update().filter(pk=instance.pk).exists():
            raise NotFound("This record was deleted by another request.")
        return self._refetched(instance)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            instance = serializer.save()
        instance = self._refetched(instance)
        data = self.get_serializer(instance).data
        return Response(data, status=status.HTTP_201_CREATED, headers={"ETag": record_etag(instance)})

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        with transaction.atomic():
            instance = self._locked_object()
            stale = self._check_if_match(instance)
            # A malformed body is a 400 whatever the precondition; a valid one on a stale
            # version is a 412.
            serializer = self.get_serializer(instance, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            if stale:
                raise stale
            serializer.save()
        instance = self._refetched(instance)
        data = self.get_serializer(instance).data
        return Response(data, headers={"ETag": record_etag(instance)})

    def destroy(self, request, *args, **kwargs):
        with transaction.atomic():
            instance = self._locked_object()
            stale = self._check_if_match(instance)
            if stale:
                raise stale
            self.perform_destroy(instance)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def perform_destroy(self, instance):
        try:
            instance.delete()
        except ProtectedError as exc:
            users = sorted({f"{o._meta.verbose_name} {o.pk}" for o in exc.protected_objects})[:10]
            raise ValidationError(
                {"non_field_errors": [f"Still used by other records, so it cannot be deleted: {', '.join(users)}."]}
            ) from exc


class HistoryMixin:
    @extend_schema(responses=s.HistoryEntrySerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request, *args, **kwargs):
        """Every change of this record: who, when, and the values before and after."""
        instance = self.get_object()
        # Editors' names are not public: in this field they can endanger researchers.
        opts = type(instance)._meta
        with_users = request.user.is_authenticated and request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}")
        entries = history_entries(instance=instance, with_users=with_users)
        return Response(s.HistoryEntrySerializer(entries, many=True).data)
