"""The register's filters outside a list request: the summary and the reading room filter
with exactly what /api/transfers/ takes."""

from django_filters.utils import translate_validation

from ...models import (
    Contract,
)
from ...selectors import (
    CONTRACT_LEVEL_FILTERS,
    transfer_register_base,
)
from .resources import ContractFilterSet, TransferFilterSet
from .search import TransferSearchFilter


class RegisterFilters:
    """The register's filters as /api/transfers/ takes them (its FilterSet and search),
    from query parameters, validated once: what the summary selector filters with
    (selectors.transfer_summary(filters=...)). Raises ValidationError (a 400 naming the
    parameter) for an invalid one; parameters that are not filters are ignored."""

    NAMES = frozenset([*TransferFilterSet.base_filters, TransferSearchFilter.search_param])

    def __init__(self, params, *, request=None, filterset=None):
        self.params = params
        self.request = request
        # Given: a non-empty value (empty means not given, as everywhere in the API).
        self.given = {name for name in self.NAMES if params.get(name, "") != ""}
        # `filterset`: one already made of these params (the reading room's), not made again.
        self.filterset = filterset or TransferFilterSet(data=params, queryset=transfer_register_base(), request=request)
        if not self.filterset.is_valid():
            raise translate_validation(self.filterset.errors)  # as DjangoFilterBackend answers
        self.search = TransferSearchFilter()
        self._query = _Query(params)
        self.search.get_search_terms(self._query)  # a malformed search is a 400 now

    @property
    def cleaned(self):
        return self.filterset.form.cleaned_data

    def transfers(self):
        """The filtered arms transfers, nothing annotated, in no order."""
        return self.search.filter_queryset(self._query, self.filterset.qs, None).order_by()

    def contracts(self):
        """The contracts of exactly the filtered transfers when every filter given is the
        contract's own (then no line of a contract is in while another is out); else None."""
        if self.given - CONTRACT_LEVEL_FILTERS:
            return None
        contracts = Contract.objects.filter(kind=Contract.Kind.ARMS, line_count__gt=0)
        params = {name: self.params[name] for name in self.given}
        return ContractFilterSet(params, queryset=contracts).qs


class _Query:
    """What DRF's search backend reads of a request: its query parameters."""

    def __init__(self, params):
        self.query_params = params
