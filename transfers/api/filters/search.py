"""`search`: DRF's search backend, and the searches of the register, actors and claims."""

import re
import string

from django.db import NotSupportedError
from django.db.models import BooleanField, F, Func, Q, Value
from rest_framework import filters as drf_filters
from rest_framework.exceptions import ValidationError

from ...models import (
    Actor,
    Person,
    WeaponSystem,
)


class SearchFilter(drf_filters.SearchFilter):
    """DRF's `search`, whose refusals name the parameter: DRF answers a NUL character with a
    bare list, where every other 400 of the API is an object of fields to messages."""

    # Each word is a condition on every searched column (two queries on the register): 1,000
    # words made an expression the database refused (a 500) after a minute of work. One rule,
    # checked here and published in the schema (so that a client, or schemathesis, knows it).
    MAX_WORDS = 20
    MAX_WORD_LENGTH = 100
    _WORD = rf"[^\s,]{{1,{MAX_WORD_LENGTH}}}"
    PATTERN = rf"^[\s,]*(?:{_WORD}[\s,]+){{0,{MAX_WORDS - 1}}}(?:{_WORD})?[\s,]*$"
    _LIMIT = re.compile(PATTERN)
    LIMIT_MESSAGE = (
        f"Search for at most {MAX_WORDS} words (separated by spaces or commas) of at most "
        f"{MAX_WORD_LENGTH} characters each."
    )

    def get_search_terms(self, request):
        if not self._LIMIT.match(request.query_params.get(self.search_param, "")):
            raise ValidationError({self.search_param: [self.LIMIT_MESSAGE]})
        try:
            return super().get_search_terms(request)
        except ValidationError as exc:
            raise ValidationError({self.search_param: exc.detail}) from exc

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["description"] = f"Words to look for: a record has each of them. {self.LIMIT_MESSAGE}"
            parameter["schema"]["pattern"] = self.PATTERN
        return parameters


class TransferSearchFilter(SearchFilter):
    """`search` on the trade register: system designation or description, comments, supplier or recipient name.

    Systems and actors are small tables: their matches are looked up first, so that the
    register is filtered on its own indexed columns (system, supplier, recipient, and a
    trigram index on comments on PostgreSQL), which PostgreSQL combines as a bitmap OR
    instead of scanning a million transfers. Every term must match.
    """

    MAX_LISTED = 2000

    def filter_queryset(self, request, queryset, view):
        for term in self.get_search_terms(request):
            systems = list(
                WeaponSystem.objects.filter(
                    Q(designation__icontains=term) | Q(description__icontains=term)
                ).values_list("pk", flat=True)
            )
            actors = list(Actor.objects.filter(name__icontains=term).values_list("pk", flat=True))
            if len(systems) > self.MAX_LISTED:
                # A term this broad matches much of the register anyway: no need to list ids.
                systems = WeaponSystem.objects.filter(Q(designation__icontains=term) | Q(description__icontains=term))
            condition = Q(comments__icontains=term)
            if systems:
                condition |= Q(system_id__in=systems)
            if actors:
                condition |= Q(cached_supplier_id__in=actors) | Q(cached_recipient_id__in=actors)
            queryset = queryset.filter(condition)
        return queryset


# Escaped in search terms; `_` is not special in either dialect.
_REGEX_PUNCTUATION = frozenset(string.punctuation) - {"_"}


def word_prefix_regex(term):
    """A regular expression for `term` at the start of a word, written the same for
    PostgreSQL (`~*`) and Python's `re` (SQLite's REGEXP): ASCII punctuation is escaped
    (a backslash before a character that is not a letter or digit is that character in
    both dialects), everything else stands for itself. `\\W` is a character that is not
    a letter, digit or underscore in both."""
    literal = "".join(f"\\{char}" if char in _REGEX_PUNCTUATION else char for char in term)
    return rf"(^|\W){literal}"


class AnyElementMatches(Func):
    """True when an element of a JSON list (a column) matches a regular expression,
    ignoring case: each element as text, not the list's JSON (in which SQLite keeps
    `Côte` as `C\\u00f4te`). Not a list: no element."""

    output_field = BooleanField()
    arity = 2

    # The column twice, then the pattern. A column that is not a list has no elements.
    POSTGRESQL = (
        "EXISTS (SELECT 1 FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof({column}) = 'array' "
        "THEN {column} ELSE '[]'::jsonb END) AS element(value) WHERE element.value ~* {pattern})"
    )
    SQLITE = (
        "EXISTS (SELECT 1 FROM json_each(CASE WHEN json_type({column}) = 'array' THEN {column} ELSE '[]' END) "
        "AS element WHERE element.value REGEXP '(?i)' || {pattern})"
    )

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError("Matching JSON list elements is implemented for PostgreSQL and SQLite.")

    def as_postgresql(self, compiler, connection, **extra_context):
        return self._sql(compiler, self.POSTGRESQL)

    def as_sqlite(self, compiler, connection, **extra_context):
        return self._sql(compiler, self.SQLITE)

    def _sql(self, compiler, template):
        column, column_params = compiler.compile(self.source_expressions[0])
        pattern, pattern_params = compiler.compile(self.source_expressions[1])
        sql = template.format(column=column, pattern=pattern)
        return sql, (*column_params, *column_params, *pattern_params)


class ActorSearchFilter(SearchFilter):
    """`search` on actors: each word starts a word of the name or of an alias (`Russ`
    finds Russia and Russian Federation, `federation` the latter, `Tor` not Territory),
    or is the code itself (`irn`), ignoring case. Every word must match."""

    search_description = (
        "Words, each the start of a word of the actor's name or of an alias, or its code (any case). "
        "Every word must match."
    )

    def filter_queryset(self, request, queryset, view):
        for term in self.get_search_terms(request):
            if not term:
                continue
            pattern = word_prefix_regex(term)
            queryset = queryset.filter(
                Q(code__iexact=term) | Q(name__iregex=pattern) | AnyElementMatches(F("aliases"), Value(pattern))
            )
        return queryset


class ClaimSearchFilter(SearchFilter):
    """`search` on claims: summary, quote, the speaker's role or name.

    Speakers are a small table: their matches are looked up first, so that claims are
    filtered on their own columns (trigram indexes on PostgreSQL, combined as a bitmap
    OR) instead of an OR across a join, which scanned every claim. Every term must match.
    """

    def filter_queryset(self, request, queryset, view):
        for term in self.get_search_terms(request):
            speakers = list(Person.objects.filter(name__icontains=term).values_list("pk", flat=True))
            condition = Q(summary__icontains=term) | Q(quote__icontains=term) | Q(speaker_role__icontains=term)
            if speakers:
                condition |= Q(speaker_id__in=speakers)
            queryset = queryset.filter(condition)
        return queryset
