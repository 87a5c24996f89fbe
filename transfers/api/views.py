"""API views: one viewset per resource, composed of the shared behaviours in mixins.py;
queries come from selectors, rules from the models."""

import datetime

from django.conf import settings
from django.db import connections
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from .. import changes, evidence, selectors
from ..http_cache import HTTPCacheMixin, visibility
from ..models import CLAIM_SUBJECTS, Change, Release, ReleaseDeal, claim_subject_type
from ..sipri import releases
from . import filters as api_filters
from . import serializers as s
from .csv import CSVRenderer, summary_csv_records
from .filters import StrictOrderingFilter
from .filters.base import names_version
from .mixins import (
    IF_MATCH,
    AlternateLookupMixin,
    ByDataVersion,
    ConditionalWriteMixin,
    HistoryMixin,
    StrictParametersMixin,
    ValueListMixin,
)
from .pagination import LimitOffsetPagination, parameters_asked


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
    filter_backends = [DjangoFilterBackend, api_filters.SearchFilter, StrictOrderingFilter]
    ordering_map = {"id": "pk"}
    default_ordering = ("pk",)


# The summaries this process answered at the latest data version: at most
# API_SUMMARY_KEPT_ROWS groups in all (0: none kept).
_kept_summaries = ByDataVersion(max_size=settings.API_SUMMARY_KEPT_ROWS, size_of=len)


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
        "cached_supplier__name",
        "cached_recipient__name",
    ]
    ordering_map = {
        "id": "pk",
        "order_date": "cached_order_date",
        # Copies on the row (Transfer.COPIES), each with a partial index on (key, id).
        "supplier": "cached_supplier_code",
        "recipient": "cached_recipient_code",
        "system": "cached_system_designation",
        "category": "cached_category",
        "quantity_ordered": "quantity_ordered",
        "quantity_delivered": "quantity_delivered",
        "status": "contract__status",
    }
    default_ordering = ("pk",)
    csv_filename = "transfers"
    rows_by_compiled_sql = True  # selectors.transfer_list(): the same rows for every reader
    filters_by_data_version = True  # its filters read only the parameters and the data
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
        """Aggregates under the same filters: counts, quantities, values per currency, and SIPRI TIV
        (millions of TIV, not money) delivered and ordered with each group's share of the total. By
        delivery_year, TIV delivered is placed in a year only where per-year figures exist; what cannot be
        is in a row per group with delivery_year null and `unplaced` true, never spread over years."""
        raw = request.query_params.get("group_by", "supplier")
        keys = [k.strip() for k in raw.split(",") if k.strip()]
        unknown = [k for k in keys if k not in selectors.SUMMARY_KEYS]
        if not keys or unknown or len(keys) > 2 or len(set(keys)) != len(keys):
            raise ValidationError(
                {"group_by": [f"Give one or two distinct keys of: {', '.join(selectors.SUMMARY_KEYS)}."]}
            )
        StrictOrderingFilter().get_ordering(request, None, self)  # an unknown ordering is still a 400
        # Asked again at the same data version by the same reader: this process's answer of
        # then (a summary whose filters no totals keep regroups the register: seconds at 1M).
        version = names_version(request)
        key = (visibility(request), parameters_asked(request, ignored={"format"}))
        data = _kept_summaries.get(version, key)
        if data is None:
            filters_given = api_filters.RegisterFilters(request.query_params, request=request)
            rows = selectors.transfer_summary(group_by=keys, filters=filters_given)
            data = list(s.SummaryRowSerializer(rows, many=True).data)
            _kept_summaries.put(version, key, data)
        if getattr(request.accepted_renderer, "format", None) == "csv":
            # One column per currency (value_USD...), numbers a spreadsheet can sum.
            data = summary_csv_records(data)
        return Response(data)


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


LIMIT_CHANGES = OpenApiParameter(
    "limit", OpenApiTypes.INT, description="Changes per answer (default 50, at most 1000)."
)
LIMIT = OpenApiParameter("limit", OpenApiTypes.INT, description="Deals per page (default 50, at most 1000).")
OFFSET = OpenApiParameter("offset", OpenApiTypes.INT, description="Deals to skip.")


class ReleaseViewSet(StrictParametersMixin, AlternateLookupMixin, viewsets.ReadOnlyModelViewSet):
    """Imports of SIPRI exports, one per file: format, data-generated date, sha256, counts,
    how its deals matched the previous release's, who ran it and when."""

    serializer_class = s.ReleaseSerializer
    filterset_class = api_filters.ReleaseFilterSet
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]
    ordering_map = {"id": "pk", "generated": "generated", "imported_at": "imported_at"}
    default_ordering = ("pk",)
    # No full-text search here; the other list parameters stand.
    LIST_PARAMETERS = {"limit", "offset", "ordering"}
    action_parameters = {"changes": {"limit", "offset", *api_filters.ReleaseDealFilterSet.base_filters}}

    def get_queryset(self):
        if self.action == "changes" and getattr(self, "swagger_fake_view", False):
            # The schema reads the changes' filters (ReleaseDealFilterSet) off this queryset.
            return ReleaseDeal.objects.none()
        return Release.objects.select_related("source").order_by("pk")

    def get_renderers(self):
        # CSV is for the changes: rows of deals and fields.
        renderers = super().get_renderers()
        if getattr(self, "action", None) != "changes":
            renderers = [r for r in renderers if not isinstance(r, CSVRenderer)]
        return renderers

    def filter_queryset(self, queryset):
        # The release filters belong to the list; a detail URL names its release.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors are JSON even when CSV was asked for.
        if response.status_code >= 400 and isinstance(getattr(request, "accepted_renderer", None), CSVRenderer):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        parameters=[LIMIT, OFFSET],
        responses={(200, "application/json"): s.ReleaseChangesSerializer, (200, "text/csv"): OpenApiTypes.STR},
        filters=True,
    )
    @action(
        detail=True,
        methods=["get"],
        pagination_class=None,
        filterset_class=api_filters.ReleaseDealFilterSet,
        filter_backends=[DjangoFilterBackend],  # the changes come in key order; no `ordering`
    )
    def changes(self, request, *args, **kwargs):
        """What changed from release `since` to this one: deals added, dropped and revised, each
        revised deal with its changed fields old and new (numbers, years, TIVs, status, comments,
        description, designation), and per supplier the TIV of the orders added, removed and
        revised. A join of the two releases' snapshots on the deal's key. Filters: supplier,
        recipient, category; `field` keeps revised deals with a change in that field; `change`
        keeps one kind. JSON pages its deals (limit, offset); `?format=csv` gives every row, one
        per changed field of a revised deal and one per added or dropped deal."""
        release = self.get_object()
        filterset = api_filters.ReleaseDealFilterSet(
            request.query_params, queryset=ReleaseDeal.objects.all(), request=request
        )
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        cleaned = filterset.form.cleaned_data
        since = Release.objects.filter(pk=cleaned["since"]).first()
        if since is None:
            raise ValidationError({"since": [f"No release {cleaned['since']}."]})
        if since.format != release.format:
            raise ValidationError(
                {
                    "since": [
                        f"Release {since.pk} is a {since.format} export and {release.pk} a {release.format} one: "
                        "their deals have different keys; compare releases of one format."
                    ]
                }
            )
        csv = getattr(request.accepted_renderer, "format", None) == "csv"
        paginator = LimitOffsetPagination()
        limit, offset = paginator.get_limit(request), paginator.get_offset(request)
        changes = releases.release_changes(
            release=release, since=since, deals=filterset.qs, fields=cleaned.get("field")
        )
        kinds = set(cleaned.get("change") or ["added", "dropped", "revised"])
        if "added" not in kinds:
            changes.added = []
        if "dropped" not in kinds:
            changes.dropped = []
        if "revised" not in kinds:
            changes.revised = []
        rows = releases.release_change_rows(changes=changes)
        if csv:
            return Response(releases.release_change_csv_records(rows=rows))
        paginator.request, paginator.limit, paginator.offset, paginator.count = request, limit, offset, len(rows)
        return Response(
            {
                "release": release.pk,
                "since": since.pk,
                "counts": {
                    "added": len(changes.added),
                    "dropped": len(changes.dropped),
                    "revised": len(changes.revised),
                },
                "totals": releases.release_supplier_totals(changes=changes),
                "count": len(rows),
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "results": rows[offset : offset + limit],
            }
        )


class ChangeViewSet(StrictParametersMixin, viewsets.GenericViewSet):
    """Every change to every record, oldest first, for clients that keep a copy in sync."""

    serializer_class = s.ChangeFeedSerializer
    filterset_class = api_filters.ChangeFilterSet
    filter_backends = [DjangoFilterBackend]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]
    pagination_class = None
    LIST_PARAMETERS = {"limit"}

    def get_queryset(self):
        return Change.objects.all()

    @extend_schema(parameters=[LIMIT_CHANGES], responses=s.ChangeFeedSerializer)
    def list(self, request, *args, **kwargs):
        """Each change (created, updated, deleted) of every record: its type, id and key, the
        channel it came through (admin, api, fixture, import), the release for imports, and its
        values. Continue with `since` = the answer's `cursor`: stable order, no change missed
        or repeated across pages, even while writes happen (a change of a transaction still in
        progress waits until it ends, with every change after it)."""
        filterset = self.filterset_class(request.query_params, queryset=self.get_queryset(), request=request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        cleaned = filterset.form.cleaned_data
        after = changes.START
        since = cleaned.get("since")
        if since:
            after = changes.change_cursor_parse(text=since)
            moment = None if after is not None else _moment(since)
            if after is None and moment is None:
                raise ValidationError(
                    {"since": ["Give a cursor as an answer gave it (e.g. 0.0) or a date and time (ISO 8601)."]}
                )
            end = changes.change_feed_end()
            if after is not None and after > end:
                # No answer gave it: waiting there would skip every change to come.
                at = changes.change_cursor(txid=end[0], pk=end[1])
                raise ValidationError({"since": [f"No answer gave this cursor: the feed ends at {at}."]})
            if moment is not None:
                after = changes.change_cursor_at(moment=moment)
                if after is None:  # nothing changed since: wait at the end
                    after = changes.change_feed_end()
        limit = LimitOffsetPagination().get_limit(request)
        readable = changes.change_record_types(user=request.user)
        asked = cleaned.get("record_type") or readable
        if set(asked) - set(readable):
            raise PermissionDenied(
                f"Changes of {', '.join(sorted(set(asked) - set(readable)))} are for editors who may view them."
            )
        entries, cursor, more = changes.change_feed_page(after=after, limit=limit, record_types=asked)
        query = request.query_params.copy()
        query["since"] = cursor
        return Response(
            {
                "results": s.ChangeEntrySerializer(entries, many=True).data,
                "cursor": cursor,
                "more": more,
                "next": request.build_absolute_uri(f"{request.path}?{query.urlencode()}"),
            }
        )


def _moment(text):
    """An ISO 8601 date and time (UTC when it names no zone), or None."""
    try:
        moment = parse_datetime(text.replace(" ", "+"))
    except ValueError:
        return None
    if moment is None:
        return None
    try:
        moment = moment if timezone.is_aware(moment) else timezone.make_aware(moment, datetime.UTC)
        return moment.astimezone(datetime.UTC)
    except (OverflowError, ValueError):  # 0001-01-01T00:00+05:00 lies before year 1 in UTC
        return None
