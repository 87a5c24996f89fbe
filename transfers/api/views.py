"""API views: thin; queries come from selectors, rules from the models."""

import hashlib
import json

from django.conf import settings
from django.db import connections, transaction
from django.db.models.functions import Upper
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import filters, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed, NotFound, ValidationError
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings

from .. import selectors
from ..history import history_entries
from ..models import CLAIM_SUBJECTS, Contract, claim_subject_type
from . import filters as api_filters
from . import serializers as s
from .csv import CSVRenderer, copy_select, queryset_csv_row_chunks, stream_queryset_as_csv, summary_csv_records
from .fields import is_id
from .rows import ValueShape


class StrictOrderingFilter(filters.OrderingFilter):
    """`ordering=-order_date,id`; public names map to ORM paths; unknown names are a 400."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param) or ""
        mapping = view.ordering_map
        terms = [t.strip() for t in params.split(",") if t.strip()]
        # Empty terms ("ordering=," or "ordering= , ") say nothing: the default order.
        if not terms:
            return list(view.default_ordering)
        ordering = []
        for term in terms:
            descending = term.startswith("-")
            name = term.removeprefix("-")
            if name not in mapping:
                raise ValidationError(
                    {self.ordering_param: [f"Unknown ordering '{name}'; choose from: {', '.join(mapping)}."]}
                )
            ordering.append(("-" if descending else "") + mapping[name])
        # A stable order for pagination; in the direction of the first key, so that an index
        # on (key, id) read backwards serves a descending order without a sort.
        ordering.append("-pk" if ordering[0].startswith("-") else "pk")
        return ordering

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Comma-separated; prefix with - for descending. One of: " + ", ".join(view.ordering_map),
                "schema": {"type": "string"},
            }
        ]


def representation_etag(data):
    payload = json.dumps(data, sort_keys=True, default=str, separators=(",", ":")).encode()
    return '"' + hashlib.sha256(payload).hexdigest()[:32] + '"'


def _if_match_values(header):
    return [value.strip().removeprefix("W/") for value in header.split(",") if value.strip()]


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The ETag of the version you edited; a stale one answers 412 and changes nothing.",
)


@extend_schema_view(
    update=extend_schema(parameters=[IF_MATCH]),
    partial_update=extend_schema(parameters=[IF_MATCH]),
    destroy=extend_schema(parameters=[IF_MATCH]),
)
class TrackerViewSet(viewsets.ModelViewSet):
    """List, detail, CSV, ETags, conditional writes and history, for every resource."""

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]
    filter_backends = [DjangoFilterBackend, filters.SearchFilter, StrictOrderingFilter]
    ordering_map = {"id": "pk"}
    default_ordering = ("pk",)
    # Detail URLs take the numeric id or this field (e.g. /api/actors/RUS/).
    alternate_lookup = None
    alternate_lookup_case_insensitive = False
    csv_filename = "export"

    def get_renderers(self):
        # CSV is for lists (and the summary): rows, not single records or writes.
        renderers = super().get_renderers()
        if getattr(self, "action", None) not in {"list", "summary"}:
            renderers = [r for r in renderers if not isinstance(r, CSVRenderer)]
        return renderers

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
            return super().perform_content_negotiation(request, force=force)
        except Http404 as exc:
            # An unknown ?format= is the client's mistake, not a missing page.
            offered = ", ".join(renderer.format for renderer in self.get_renderers())
            requested = str(request.query_params.get("format", ""))[:40]
            raise ValidationError({"format": [f"Unknown format {requested!r}; choose from: {offered}."]}) from exc

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors are JSON even when CSV was asked for: a client must be able to read why.
        if response.status_code >= 400 and isinstance(getattr(request, "accepted_renderer", None), CSVRenderer):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

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

    def filter_queryset(self, queryset):
        # Filters belong to lists; a detail URL names its record.
        if self.action in {"list", "summary"}:
            return super().filter_queryset(queryset)
        return queryset

    # --- reads ---

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
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

    def list_rows(self, queryset):
        """The page's representations from value tuples (a third of the time of model
        instances rendered field by field); None: use the serializer."""
        shape = self.value_shape(queryset)
        if shape is None:
            return None
        values = shape.values_of(queryset)
        return shape.represent(self.paginate_values(values, plain=queryset))

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

    def paginate_values(self, values, *, plain):
        """A page of value tuples (all of them without pagination). `plain`: the same rows
        without the joins of their values, for the count and for ids."""
        if self.paginator is None:
            return list(values)
        page = self.paginator.paginate_queryset(values, self.request, view=self, plain=plain, ids_first=self.ids_first)
        return list(values) if page is None else page

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

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = representation_etag(response.data)
        return response

    # --- writes: validated like the admin, conditional on If-Match ---

    def _refetched(self, instance):
        # Another request may have deleted it in the meantime: that is a 404, not a 500.
        refetched = self.get_queryset().filter(pk=instance.pk).first()
        if refetched is None:
            raise NotFound("This record was deleted by another request.")
        return refetched

    def _check_if_match(self, instance):
        header = self.request.headers.get("If-Match")
        if not header:
            return None
        current = representation_etag(self.get_serializer(instance).data)
        if "*" not in _if_match_values(header) and current not in _if_match_values(header):
            return Response(
                {
                    "detail": "The record changed since you read it (stale If-Match); nothing was changed.",
                    "etag": current,
                },
                status=status.HTTP_412_PRECONDITION_FAILED,
                headers={"ETag": current},
            )
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
        data = self.get_serializer(self._refetched(instance)).data
        return Response(data, status=status.HTTP_201_CREATED, headers={"ETag": representation_etag(data)})

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
                return stale
            serializer.save()
        data = self.get_serializer(self._refetched(instance)).data
        return Response(data, headers={"ETag": representation_etag(data)})

    def destroy(self, request, *args, **kwargs):
        with transaction.atomic():
            instance = self._locked_object()
            failed = self._check_if_match(instance)
            if failed:
                return failed
            self.perform_destroy(instance)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def perform_destroy(self, instance):
        from django.db.models import ProtectedError

        try:
            instance.delete()
        except ProtectedError as exc:
            users = sorted({f"{o._meta.verbose_name} {o.pk}" for o in exc.protected_objects})[:10]
            raise ValidationError(
                {"non_field_errors": [f"Still used by other records, so it cannot be deleted: {', '.join(users)}."]}
            ) from exc

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


class ActorViewSet(TrackerViewSet):
    """States, organisations, armed groups, companies and government bodies."""

    queryset = selectors.actor_list()
    serializer_class = s.ActorSerializer
    filterset_class = api_filters.ActorFilterSet
    filter_backends = [DjangoFilterBackend, api_filters.ActorSearchFilter, StrictOrderingFilter]
    search_fields = ["code", "name", "aliases"]
    ordering_map = {"id": "pk", "code": "code", "name": "name", "kind": "kind"}
    default_ordering = ("name", "pk")
    alternate_lookup = "code"
    alternate_lookup_case_insensitive = True
    csv_filename = "actors"

    def get_queryset(self):
        return selectors.actor_list()


class PersonViewSet(TrackerViewSet):
    """Named speakers and whom they speak for."""

    serializer_class = s.PersonSerializer
    filterset_class = api_filters.PersonFilterSet
    search_fields = ["name", "title", "slug"]
    ordering_map = {"id": "pk", "name": "name"}
    default_ordering = ("name", "pk")
    alternate_lookup = "slug"
    csv_filename = "people"

    def get_queryset(self):
        return selectors.person_list()


class WeaponSystemViewSet(TrackerViewSet):
    """Weapon systems, in SIPRI's categories."""

    serializer_class = s.WeaponSystemSerializer
    filterset_class = api_filters.WeaponSystemFilterSet
    search_fields = ["designation", "slug", "description", "other_names"]
    ordering_map = {"id": "pk", "designation": "designation", "category": "category"}
    default_ordering = ("designation", "pk")
    alternate_lookup = "slug"
    csv_filename = "systems"

    def get_queryset(self):
        return selectors.system_list()


class ContractViewSet(TrackerViewSet):
    """Deals: supplier, recipient, order date, status, value. Non-arms contracts carry kind=non-arms."""

    serializer_class = s.ContractSerializer
    filterset_class = api_filters.ContractFilterSet
    search_fields = ["reference", "title", "notes", "supplier__name", "recipient__name"]
    ordering_map = {
        "id": "pk",
        "reference": "reference",
        "order_date": "order_date",
        "status": "status",
        "value": "value_amount",
        "supplier": "supplier__code",
        "recipient": "recipient__code",
    }
    default_ordering = ("pk",)
    alternate_lookup = "reference"
    csv_filename = "contracts"

    def get_queryset(self):
        return selectors.contract_list()

    @extend_schema(responses=s.TimelineEventSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], pagination_class=None)
    def timeline(self, request, *args, **kwargs):
        """The deal's dated events, oldest first: the order, deliveries and claims, each with its sources."""
        contract = self.get_object()
        return Response(s.TimelineEventSerializer(selectors.contract_timeline(contract=contract), many=True).data)


GROUP_BY = OpenApiParameter(
    "group_by",
    OpenApiTypes.STR,
    description="One or two of: " + ", ".join(selectors.SUMMARY_KEYS) + " (comma-separated). Default: supplier.",
)


class TransferViewSet(TrackerViewSet):
    """The trade register: one row per transfer (a line of an arms contract)."""

    serializer_class = s.TransferSerializer
    filterset_class = api_filters.TransferFilterSet
    filter_backends = [DjangoFilterBackend, api_filters.TransferSearchFilter, StrictOrderingFilter]
    search_fields = [
        "system__designation",
        "system__description",
        "comments",
        "supplier__name",
        "recipient__name",
    ]
    ordering_map = {
        "id": "pk",
        "order_date": "order_date",
        "supplier": "supplier__code",
        "recipient": "recipient__code",
        "system": "system__designation",
        "category": "category",
        "quantity_ordered": "quantity_ordered",
        "quantity_delivered": "delivered_total",
        "status": "contract__status",
    }
    default_ordering = ("pk",)
    csv_filename = "transfers"
    action_parameters = {"summary": {"group_by"}}

    def get_queryset(self):
        return selectors.transfer_list()

    @extend_schema(parameters=[GROUP_BY], responses=s.SummaryRowSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None)
    def summary(self, request, *args, **kwargs):
        """Aggregates under the same filters: counts, quantities, values per currency."""
        raw = request.query_params.get("group_by", "supplier")
        keys = [k.strip() for k in raw.split(",") if k.strip()]
        unknown = [k for k in keys if k not in selectors.SUMMARY_KEYS]
        if not keys or unknown or len(keys) > 2 or len(set(keys)) != len(keys):
            raise ValidationError(
                {"group_by": [f"Give one or two distinct keys of: {', '.join(selectors.SUMMARY_KEYS)}."]}
            )
        # The list's filters and search, on a base without the row annotations (ordering is moot here).
        transfers = selectors.transfer_register_base()
        StrictOrderingFilter().get_ordering(request, transfers, self)  # an unknown ordering is still a 400
        for backend in (DjangoFilterBackend, api_filters.TransferSearchFilter):
            transfers = backend().filter_queryset(request, transfers, self)
        rows = selectors.transfer_summary(transfers=transfers, group_by=keys, contracts=self.summary_contracts(request))
        data = s.SummaryRowSerializer(rows, many=True).data
        if getattr(request.accepted_renderer, "format", None) == "csv":
            # One column per currency (value_USD...), numbers a spreadsheet can sum.
            data = summary_csv_records(data)
        return Response(data)

    # Transfer filters that are the contract's own, with the same names and meaning on contracts.
    CONTRACT_LEVEL_FILTERS = {"supplier", "recipient", "status", "ordered_from", "ordered_to"}

    def summary_contracts(self, request):
        """The contracts of exactly the filtered transfers, when every filter given is the
        contract's own (then no line of a contract is in while another is out); else None."""
        given = {name for name, value in request.query_params.items() if value != ""}
        transfer_filters = set(api_filters.TransferFilterSet.base_filters) | {api_settings.SEARCH_PARAM}
        if (given & transfer_filters) - self.CONTRACT_LEVEL_FILTERS:
            return None
        contracts = Contract.objects.filter(kind=Contract.Kind.ARMS, line_count__gt=0)
        params = {name: request.query_params[name] for name in given & self.CONTRACT_LEVEL_FILTERS}
        return api_filters.ContractFilterSet(params, queryset=contracts, request=request).qs


class DeliveryViewSet(TrackerViewSet):
    """Deliveries: a transfer's quantity delivered at a date (at least a year)."""

    serializer_class = s.DeliverySerializer
    filterset_class = api_filters.DeliveryFilterSet
    search_fields = ["notes", "transfer__system__designation", "transfer__contract__reference"]
    ordering_map = {"id": "pk", "date": "date", "quantity": "quantity"}
    default_ordering = ("pk",)
    csv_filename = "deliveries"

    def get_queryset(self):
        return selectors.delivery_list()


class SourceViewSet(TrackerViewSet):
    """Documents: news reports, official statements, registers."""

    serializer_class = s.SourceSerializer
    filterset_class = api_filters.SourceFilterSet
    search_fields = ["title", "publisher", "outlet", "url", "notes"]
    ordering_map = {"id": "pk", "published_date": "published_date", "title": "title", "publisher": "publisher"}
    default_ordering = ("pk",)
    alternate_lookup = "key"
    csv_filename = "sources"

    def get_queryset(self):
        return selectors.source_list()


class ClaimViewSet(TrackerViewSet):
    """What each source says, who says it, about which record."""

    serializer_class = s.ClaimSerializer
    filterset_class = api_filters.ClaimFilterSet
    filter_backends = [DjangoFilterBackend, api_filters.ClaimSearchFilter, StrictOrderingFilter]
    search_fields = ["summary", "quote", "speaker__name", "speaker_role"]
    ordering_map = {"id": "pk", "stated_date": "stated_date", "stance": "stance", "rank": "rank"}
    default_ordering = ("pk",)
    alternate_lookup = "key"
    csv_filename = "claims"
    computed_fields = {"subject_type": (CLAIM_SUBJECTS, claim_subject_type)}
    # A source's claims are imported together, so their ids run together (the SIPRI
    # register's after a million others): PostgreSQL, taking them for spread out, walked
    # the primary key to find a page of them (130 ms). A narrow query for the ids uses
    # the (source, id) index; the rows then come by id.
    ids_first = True

    def list_rows(self, queryset):
        db = connections[queryset.db]
        if db.vendor != "postgresql":
            return super().list_rows(queryset)
        # A page of claims joins eleven tables (the one subject's brief, the speaker, the
        # source): PostgreSQL took ~27 ms choosing a join order for a query that runs in
        # 1 ms. The order as written (each claim, then one row per join) is the right one.
        with db.cursor() as cursor:
            cursor.execute("SET join_collapse_limit = 1")
            try:
                return super().list_rows(queryset)
            finally:
                cursor.execute("RESET join_collapse_limit")

    def get_queryset(self):
        return selectors.claim_list()
