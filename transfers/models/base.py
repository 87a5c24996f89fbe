"""What the models share: validators, keys, the rules the database enforces with triggers, the next
line number under a parent, and the natural-key manager."""

import re
import secrets
from urllib.parse import urlsplit, urlunsplit

import pycountry
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import connection, models, router, transaction
from django.db.models import Max
from simple_history.models import HistoricalRecords

CODE_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
    "Use letters, digits, '-', '_' or '.', starting with a letter or digit.",
)


def new_key():
    """A short random key for records that have no natural name of their own (never digits
    alone: validate_not_an_id)."""
    while True:
        key = secrets.token_hex(6)
        if not key.isdigit():
            return key


def validate_names(value):
    """A list of names (aliases, other names): strings of at most 200 characters, no NUL
    (a fixture could give a string, which would read as its letters)."""
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise ValidationError("Give a list of names (strings).", code="names")
    for name in value:
        if len(name) > 200 or "\x00" in name:
            raise ValidationError(
                "A name has at most 200 characters and no NUL character: %(name)s", params={"name": name[:40]}
            )


def validate_not_an_id(value):
    """A code, slug, reference or key is also an address (/api/actors/RUS/) and a filter
    value, where digits alone are read as a record's numeric id: refused, so that each
    record is reached by its own name."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        raise ValidationError(
            "“%(value)s” is digits alone, which addresses and filters read as a numeric id: add a letter "
            "(e.g. deal-%(value)s).",
            params={"value": value},
            code="digits_alone",
        )


_DEFAULT_PORTS = {"http": 80, "https": 443}
_PERCENT = re.compile(r"%[0-9a-fA-F]{2}")


def canonical_url(value):
    """The URL as RFC 3986 compares it: scheme and host in lower case, no default port, an
    empty web path as `/`, percent escapes in capitals (`HTTP://Example.COM:80/a%2f` is
    `http://example.com/a%2F`).
    The path, query and user keep their case: they are the server's to compare. Not a URL
    (or one urlsplit cannot read): unchanged, for the validators to refuse."""
    if not isinstance(value, str) or "://" not in value:
        return value
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return value
    scheme = parts.scheme.lower()
    user, _, host = parts.netloc.rpartition("@")
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"  # IPv6
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    netloc = f"{user}@{host}" if user else host
    path = parts.path or ("/" if scheme in _DEFAULT_PORTS else "")
    rest = _PERCENT.sub(lambda m: m.group(0).upper(), urlunsplit(("", "", path, parts.query, parts.fragment)))
    return f"{scheme}://{netloc}{rest}"


class CanonicalURLField(models.URLField):
    """A URL stored, looked up and compared in its canonical form (canonical_url), so that
    a unique constraint on it holds for URLs that differ only in how they are written."""

    def to_python(self, value):
        return canonical_url(super().to_python(value))

    def get_prep_value(self, value):
        return canonical_url(super().get_prep_value(value))


# Significant digits of a decimal that SQLite gives back as given: it stores them as REAL.
SQLITE_DIGITS = 15


def validate_digits_kept(value):
    """A figure the database gives back as given: on SQLite (the embedded database for
    trying the tracker out), at most 15 significant digits. It would store
    9,999,999,999,999,999.99 as 1e16, which then no longer fits the field when read
    (a 500 on every read of the record). PostgreSQL keeps every digit the field allows."""
    if value is None or not value.is_finite() or connection.vendor != "sqlite":
        return
    if len(value.normalize().as_tuple().digits) > SQLITE_DIGITS:
        raise ValidationError(
            "This database (SQLite) keeps %(digits)s significant digits: round the figure, "
            "or run the tracker on PostgreSQL, which keeps them all.",
            code="digits_kept",
            params={"digits": SQLITE_DIGITS},
        )


def validate_currency(value):
    if value and pycountry.currencies.get(alpha_3=value.upper()) is None:
        raise ValidationError("%(value)s is not an ISO 4217 currency code.", params={"value": value})


def validate_language(value):
    if value and pycountry.languages.get(alpha_2=value.lower()) is None:
        raise ValidationError("%(value)s is not an ISO 639-1 language code.", params={"value": value})


# Rules the database enforces with triggers (migration 0011), not constraints: name: (field, message).
DATABASE_TRIGGERS = {
    "delivery_total_not_above_ordered": ("quantity", "The deliveries would add up to more than the quantity ordered."),
    "transfer_ordered_not_below_delivered": (
        "quantity_ordered",
        "The quantity ordered cannot be below the quantity already delivered.",
    ),
    "actor_parent_no_cycle": ("parent", "An actor cannot be its own ancestor."),
    "claim_statement_shared": (
        "statement",
        "The claims of one statement share its source, speaker, attribution, date and quote; "
        "use another key for another statement.",
    ),
}


# A line number's most: a PositiveSmallIntegerField's limit on every database.
LINE_MAX = 32767


def save_with_next_line(instance, parent_field, save):
    """Save `instance` with the next free line number under its parent (a contract's
    transfers, a transfer's deliveries). The parent row is locked until the insert
    commits, so two requests adding lines at the same moment get 1 and 2, not a
    duplicate key (on SQLite, writes are serialised anyway).

    A stored record given no number (a PUT without one, `line: null`) keeps its own under the
    same parent, not the next one. Past LINE_MAX (a line numbered 32767 by hand), the first
    number free below it; none free: a ValidationError, not a number the column cannot hold."""
    model = type(instance)
    parent = model._meta.get_field(parent_field).related_model
    parent_id = getattr(instance, f"{parent_field}_id")
    with transaction.atomic(using=router.db_for_write(model)):
        # FOR NO KEY UPDATE: conflicts with itself, not with the key-share locks of foreign keys.
        parent._base_manager.select_for_update(no_key=True).filter(pk=parent_id).exists()
        siblings = model._base_manager.filter(**{f"{parent_field}_id": parent_id})
        kept = siblings.filter(pk=instance.pk).values_list("line", flat=True).first() if instance.pk else None
        last = siblings.aggregate(m=Max("line"))["m"] or 0
        if kept is not None:
            instance.line = kept
        elif last < LINE_MAX:
            instance.line = last + 1
        else:
            taken = set(siblings.values_list("line", flat=True))
            instance.line = next((n for n in range(1, LINE_MAX + 1) if n not in taken), None)
            if instance.line is None:
                raise ValidationError({"line": f"Every line number up to {LINE_MAX:,} is taken here."})
        save()


class NaturalKeyManager(models.Manager):
    """Finds a record by its natural key: these lookups, in the order natural_key() gives them."""

    def __init__(self, *lookups):
        super().__init__()
        self.lookups = lookups

    def get_by_natural_key(self, *key):
        return self.get(**dict(zip(self.lookups, key, strict=True)))


class History(HistoricalRecords):
    """django-simple-history's records, indexed as they are read: by the record's id (a
    record's history, the admin's history page) and by date (the change feed). The library
    copies every index of the model, 18 on a claim, none of them ever read and each one a
    cost on every write: a SIPRI import spent a tenth of its time on them."""

    def copy_fields(self, model):
        fields = super().copy_fields(model)
        for name, field in fields.items():
            if name != model._meta.pk.name:
                field.db_index = False
        return fields
