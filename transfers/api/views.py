"""API views: one viewset per resource, composed of the shared behaviours in mixins.py;
queries come from selectors, rules from the models."""

from django.db import connections
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import filters, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings

from .. import evidence, selectors
from ..http_cache import HTTPCacheMixin
from ..models import CLAIM_SUBJECTS, Contract, claim_subject_type
from . import filters as api_filters
from . import serializers as s
from .csv import CSVRenderer, summary_csv_records
from .filters import StrictOrderingFilter
from .mixins import (
    IF_MATCH,
    AlternateLookupMixin,
    ConditionalWriteMixin,
    HistoryMixin,
    StrictParametersMixin,
    ValueListMixin,
)


@extend_schema_view(
    update=extend_schema(parameters=[IF_MATCH]),
    partial_update=extend_schema(parameters=[IF_MATCH]),
    destroy=extend_schema(parameters=[IF_MATCH]),
)
class TrackerViewSet(
    HTTPCacheMixin,
    StrictParametersMixin,
    AlternateLookupMixin,
    ValueListMixin,
    ConditionalWriteMixin,
    HistoryMixin,
    viewsets.ModelViewSet,
):
    """List, detail, CSV, ETags and 304s, conditional writes and history, for every resource."""

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]
    filter_backends = [DjangoFilterBackend, filters.SearchFilter, StrictOrderingFilter]
    ordering_map = {"id": "pk"}
    default_ordering = ("pk",)


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

    @extend_schema(responses=s.EvidenceSerializer, filters=False)
    @action(detail=True, methods=["get"], pagination_class=None)
    def evidence(self, request, *args, **kwargs):
        """The deal's evidence, field by field (value, order date, status; each line's quantities
        ordered and delivered and delivery dates): the current value, every claim about it (typed
        value, stance, speaker, attribution, source, date, rank), whether they disagree after
        normalising units and ranges (USD 700m and $1bn do; 29 and about 30 do not: about is
        ±10%), and the claim the value follows. A fixed number of queries, whatever the claims."""
        contract = self.get_object()
        return Response(s.EvidenceSerializer(evidence.contract_evidence(contract=contract)).data)


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
        # Copies on the row (Transfer.COPIES), each with a partial index on (key, id).
        "supplier": "supplier_code",
        "recipient": "recipient_code",
        "system": "system_designation",
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

    @extend_schema(responses=s.EvidenceSerializer, filters=False)
    @action(detail=True, methods=["get"], pagination_class=None)
    def evidence(self, request, *args, **kwargs):
        """The line's evidence and its deal's, field by field: see /api/contracts/{id}/evidence/."""
        transfer = self.get_object()
        return Response(
            s.EvidenceSerializer(evidence.contract_evidence(contract=transfer.contract, transfer=transfer)).data
        )

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
    CONTRACT_LEVEL_FILTERS = {"supplier", "recipient", "status", "ordered_from", "ordered_to", "disputed"}

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
