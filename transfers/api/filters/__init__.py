"""The API's query parameters: filters, search and ordering.

Actor parameters take codes (`supplier=rus,irn`: case-insensitive, comma = any
of); records are named by code, slug, key or reference (or numeric id); years are
inclusive. An unknown code, slug or choice, or a malformed year, is a 400 that
names the parameter.

Everything is importable from here (`transfers.api.filters.TransferFilterSet`):
- `base`: the kinds of parameter and BaseFilterSet;
- `resources`: one FilterSet per resource, all in one module;
- `search`: the `search` backends (the register's, actors', claims');
- `ordering`: the `ordering` backend;
- `register`: RegisterFilters, the register's filters validated once, for the summary
  and the reading room.
"""

from .base import (
    MAX_QUERY_YEAR,
    AbsentFilter,
    AssertedFigureFilter,
    BaseFilterSet,
    ChoiceListField,
    ChoiceListFilter,
    ConfirmedFilter,
    CurrencyFilter,
    CurrencyListField,
    DisputedFilter,
    RecordListField,
    RecordListFilter,
    ReleaseIdFilter,
    StrictBooleanFilter,
    YearFilter,
    actor_filter,
)
from .ordering import (
    StrictOrderingFilter,
)
from .register import (
    RegisterFilters,
)
from .resources import (
    CHANGE_KINDS,
    ActorFilterSet,
    ChangeFilterSet,
    ClaimFilterSet,
    ContractFilterSet,
    DeliveryFilterSet,
    PersonFilterSet,
    ReleaseDealFilterSet,
    ReleaseFilterSet,
    SourceFilterSet,
    TransferFilterSet,
    WeaponSystemFilterSet,
)
from .search import (
    ActorSearchFilter,
    AnyElementMatches,
    ClaimSearchFilter,
    SearchFilter,
    TransferSearchFilter,
    word_prefix_regex,
)

__all__ = [
    "MAX_QUERY_YEAR",
    "RecordListField",
    "RecordListFilter",
    "actor_filter",
    "ChoiceListField",
    "ChoiceListFilter",
    "YearFilter",
    "StrictBooleanFilter",
    "ConfirmedFilter",
    "DisputedFilter",
    "CurrencyListField",
    "CurrencyFilter",
    "AssertedFigureFilter",
    "AbsentFilter",
    "ReleaseIdFilter",
    "BaseFilterSet",
    "ActorFilterSet",
    "PersonFilterSet",
    "WeaponSystemFilterSet",
    "ContractFilterSet",
    "TransferFilterSet",
    "DeliveryFilterSet",
    "SourceFilterSet",
    "ClaimFilterSet",
    "ReleaseFilterSet",
    "CHANGE_KINDS",
    "ReleaseDealFilterSet",
    "ChangeFilterSet",
    "SearchFilter",
    "TransferSearchFilter",
    "word_prefix_regex",
    "AnyElementMatches",
    "ActorSearchFilter",
    "ClaimSearchFilter",
    "StrictOrderingFilter",
    "RegisterFilters",
]
