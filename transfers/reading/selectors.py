"""The reading room's reads: the API's parameters, list machinery and summary, composed for pages.

Nothing here defines a filter or a query rule of its own. The register's parameters
are validated by the API's own code (`TransferViewSet`'s accepted parameters,
`TransferFilterSet`, the ordering filter, the paginator), so a bad one gets the
message the API gives; rows are read by the API's value-tuple machinery
(`ValueListMixin.list_rows`), so a page holds exactly the rows of the matching
`/api/transfers/` URL; aggregates come from `selectors.transfer_summary`.

Aggregates over a large register take time (a summary by delivery year reads every
delivery): pages keep them in the shared cache for READING_CACHE_SECONDS, like the
API's count of the whole register.
"""

import hashlib
from types import SimpleNamespace
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db.models.functions import Upper
from django.http import QueryDict
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

from .. import data_version, evidence, selectors
from ..api import views as api_views
from ..api.filters import ActorSearchFilter, ClaimFilterSet, RegisterFilters, SearchFilter, StrictOrderingFilter
from ..api.mixins import StrictParametersMixin
from ..assertions import assertion_display
from ..models import Actor, Contract, Delivery, Source, Transfer, WeaponSystem
from . import figures, measures


def urlencoded(pairs):
    """A query string as people write it: commas (lists of codes) left as they are."""
    return urlencode(list(pairs), safe=",")


def query(params):
    """A request-like object for parameters a page makes itself (an actor's `supplier=RUS`)."""
    data = QueryDict(mutable=True)
    for name, value in params.items():
        data[name] = value
    return SimpleNamespace(query_params=data)


def cached(key, compute):
    """compute(), kept in the shared cache for READING_CACHE_SECONDS (0: not kept), under
    the data version: a write is seen at once."""
    seconds = settings.READING_CACHE_SECONDS
    if not seconds:
        return compute()
    # Under the data version (read from the database the page reads): never stale.
    full_key = "reading:" + hashlib.sha256(f"{data_version.current()}:{key}".encode()).hexdigest()
    value = cache.get(full_key)
    if value is None:
        value = compute()
        cache.set(full_key, value, seconds)
    return value


class Register:
    """The trade register as `/api/transfers/` reads it, for one request's parameters.

    `extra`: parameters the page takes besides the API's (a chart's measure).
    """

    api_class = api_views.TransferViewSet

    def __init__(self, request, *, extra=()):
        self.request = request
        self.params = request.query_params
        # The API's own view, for its parameters, filters, paginator and value-tuple rows.
        self.api = self.api_class(request=request, action="list", format_kwarg=None, args=(), kwargs={})
        self.extra = set(extra)
        self._filterset = None
        self._register_filters = None  # the summary selector's filters, made once
        self._errors = None

    # --- parameters ---

    def accepted(self):
        """The list's parameters as the API takes them (its formats aside), and the page's own."""
        return (self.api.accepted_query_parameters() - set(StrictParametersMixin.REQUEST_PARAMETERS)) | self.extra

    def filter_names(self):
        """The parameters that select rows: the FilterSet's filters and search, in the API's order."""
        return [*self.api.filterset_class.base_filters, *self.search_parameters()]

    def search_parameters(self):
        return [backend.search_param for backend in self.api.filter_backends if hasattr(backend, "search_param")]

    @property
    def filterset(self):
        if self._filterset is None:
            self._filterset = self.api.filterset_class(
                data=self.params, queryset=selectors.transfer_register_base(), request=self.request
            )
        return self._filterset

    @property
    def errors(self):
        """{parameter: [message]}: what the API would answer with a 400, with its words."""
        if self._errors is None:
            self._errors = self._validate()
        return self._errors

    def add_errors(self, errors):
        """The page's own parameters' errors, beside the API's."""
        self._errors = {**self.errors, **errors}

    def _validate(self):
        errors = {}
        accepted = self.accepted()
        listed = ", ".join(sorted(accepted))
        for name, values in self.params.lists():
            if name not in accepted:
                errors[name[:60]] = [f"Unknown parameter; this URL accepts: {listed}."]
            elif len(values) > 1:
                errors[name] = ["Given more than once; give it once (several values comma-separated)."]
        if errors:
            return errors
        if not self.filterset.is_valid():
            errors.update({name: list(messages) for name, messages in self.filterset.errors.items()})
        for check in (self._check_search, self._check_ordering, self._check_page):
            try:
                check()
            except ValidationError as exc:
                detail = exc.detail if isinstance(exc.detail, dict) else {self.search_parameters()[0]: exc.detail}
                errors.update({name: [str(m) for m in messages] for name, messages in detail.items()})
        return errors

    def _check_search(self):
        for backend in self.api.filter_backends:
            if hasattr(backend, "search_param"):
                backend().get_search_terms(self.request)

    def _check_ordering(self):
        StrictOrderingFilter().get_ordering(self.request, None, self.api)

    def _check_page(self):
        self.api.paginator.get_limit(self.request)
        self.api.paginator.get_offset(self.request)

    def given(self):
        """The row-selecting parameters given, in the API's order: [(name, value)]."""
        return [(name, self.params[name]) for name in self.filter_names() if self.params.get(name)]

    # --- rows ---

    def filtered(self, queryset, *, ordered):
        """queryset under the API list's filter backends, in their order (the FilterSet
        validated once here); `ordered=False` leaves the order alone, as the summary does."""
        if not self.filterset.is_valid():
            raise ValidationError(self.filterset.errors)
        for backend in self.api.filter_backends:
            if issubclass(backend, DjangoFilterBackend):
                queryset = self.filterset.filter_queryset(queryset)
            elif issubclass(backend, StrictOrderingFilter):
                if ordered:
                    queryset = backend().filter_queryset(self.request, queryset, self.api)
            else:
                queryset = backend().filter_queryset(self.request, queryset, self.api)
        return queryset

    def page(self):
        """This page's rows (the API's representation), the count, limit and offset."""
        rows = self.api.list_rows(self.filtered(selectors.transfer_list(), ordered=True))
        paginator = self.api.paginator
        return {"rows": rows, "count": paginator.count, "limit": paginator.limit, "offset": paginator.offset}

    # --- aggregates ---

    def summary(self, group_by, *, measures, keep=True):
        """selectors.transfer_summary of these rows, as /api/transfers/summary/ computes it,
        of these measures only; kept in the shared cache unless keep=False (a part of a
        page's figures kept together)."""
        key = f"summary:{','.join(group_by)}:{','.join(sorted(measures))}:" + "&".join(
            f"{n}={v}" for n, v in sorted(self.given())
        )

        def compute():
            if self._register_filters is None:
                if not self.filterset.is_valid():
                    raise ValidationError(self.filterset.errors)
                self._register_filters = RegisterFilters(self.params, request=self.request, filterset=self.filterset)
            return selectors.transfer_summary(group_by=group_by, filters=self._register_filters, measures=measures)

        return cached(key, compute) if keep else compute()


# --- A deal ---------------------------------------------------------------------------------------


def deal(reference):
    """The contract with this reference (or id), with its parties; None when there is none."""
    contracts = Contract.objects.select_related("supplier", "recipient")
    found = contracts.filter(reference=reference).first()
    if found is None and reference.isascii() and reference.isdigit() and len(reference) <= 18:
        found = contracts.filter(pk=int(reference)).first()
    return found


def deal_lines(contract):
    """The deal's lines with their systems and quantities delivered (selectors' definition)."""
    return list(
        Transfer.objects.filter(contract=contract)
        .select_related("system")
        .annotate(quantity_delivered=selectors.delivered_quantity())
        .order_by("line")
    )


def deal_deliveries(contract):
    return list(
        Delivery.objects.filter(transfer__contract=contract)
        .select_related("transfer__system")
        .order_by("date", "transfer__line", "line")
    )


def deal_claims(contract):
    """The claims about the deal, its lines and its deliveries, as /api/claims/?contract= lists them."""
    claims = ClaimFilterSet(data={"contract": contract.reference}, queryset=selectors.claim_list()).qs
    claims = list(claims.order_by("stated_date", "pk"))
    for claim in claims:
        claim.assertion_shown = assertion_display(claim)  # the typed value as a researcher reads it
    return claims


def deal_timeline(contract):
    return selectors.contract_timeline(contract=contract)


def deal_evidence(contract):
    """The deal's evidence per field, as /api/contracts/{id}/evidence/ gives it
    (transfers.evidence), with its values side by side for the page."""
    return figures.evidence_columns(evidence.contract_evidence(contract=contract))


# --- An actor ---------------------------------------------------------------------------------------


def actor(code):
    """The actor with this code, in any case (as /api/actors/{code}/ finds it)."""
    return selectors.actor_list().annotate(_code=Upper("code")).filter(_code=code.upper()).first()


ROLES = {"supplier": "recipient", "recipient": "supplier"}


def actor_figures(actor):
    """What the register holds of an actor in each role: per year and category, per
    partner, per system (summaries of the register filtered on `role=code`); kept in the
    cache together, as one entry: {role: {years, partners, systems}}."""

    def compute():
        figures = {}
        for role, other in ROLES.items():
            register = Register(query({role: actor.code}))
            figures[role] = {
                "years": register.summary(["delivery_year", "category"], measures=measures.YEAR_CHART, keep=False),
                "partners": register.summary([other], measures=measures.TABLES, keep=False),
                "systems": register.summary(["system"], measures=measures.TABLES, keep=False),
            }
        return figures

    return cached(f"actor:{actor.pk}", compute)


# --- Search ---------------------------------------------------------------------------------------------

SEARCH_LIMIT = 10


def search(request, *, limit=SEARCH_LIMIT):
    """Actors, systems, deals and sources matching `search`, as the API's searches match
    them (deals on their reference and title here; the API also searches notes and the
    parties' names). Each list holds at most limit + 1 records (more: there are more)."""
    actors = ActorSearchFilter().filter_queryset(request, Actor.objects.order_by("name"), api_views.ActorViewSet)
    systems = SearchFilter().filter_queryset(
        request, WeaponSystem.objects.order_by("designation"), api_views.WeaponSystemViewSet
    )
    sources = SearchFilter().filter_queryset(
        request, Source.objects.order_by("-published_date", "pk"), api_views.SourceViewSet
    )
    deals_view = SimpleNamespace(search_fields=["reference", "title"])
    deals = SearchFilter().filter_queryset(
        request, Contract.objects.select_related("supplier", "recipient").order_by(), deals_view
    )
    found = {
        "actors": list(actors[: limit + 1]),
        "systems": list(systems[: limit + 1]),
        "deals": list(deals[: limit + 1]),
        "sources": list(sources[: limit + 1]),
    }
    # Deals of the systems found (the register's system index, latest first), when the
    # words name a system rather than a deal.
    if found["systems"] and len(found["deals"]) <= limit:
        system_ids = [s.pk for s in found["systems"][:limit]]
        seen = {d.pk for d in found["deals"]}
        lines = (
            Transfer.objects.filter(cached_is_arms=True, system_id__in=system_ids)
            .exclude(contract_id__in=seen)
            .order_by("-cached_order_date", "-pk")
            .values_list("contract_id", flat=True)[: limit + 1]
        )
        more = Contract.objects.select_related("supplier", "recipient").filter(pk__in=list(lines))
        found["deals"] += sorted(more, key=lambda c: (c.order_date is not None, c.order_date or 0, c.pk), reverse=True)
    return found
