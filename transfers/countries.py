"""Countries: the names researchers write for them, and every current ISO 3166-1 state loaded as an Actor."""

import pycountry
from django.db import transaction

from .models import Actor

# Short names where ISO's official-style name is not what researchers write.
COUNTRY_NAME_OVERRIDES = {
    "RUS": "Russia",
    "BRN": "Brunei",
    "COD": "DR Congo",
    "FSM": "Micronesia",
    "PSE": "Palestine",
    "VAT": "Holy See",
    "VNM": "Viet Nam",
}


def country_display_name(country):
    """The name researchers write for a pycountry country (Russia, Iran, South Korea)."""
    return COUNTRY_NAME_OVERRIDES.get(country.alpha_3) or getattr(country, "common_name", None) or country.name


def _country_names(country):
    name = country_display_name(country)
    others = [country.name, getattr(country, "official_name", None), getattr(country, "common_name", None)]
    aliases = []
    for other in others:
        if other and other != name and other not in aliases:
            aliases.append(other)
    return name, aliases


@transaction.atomic
def actor_load_countries():
    """Create every current ISO 3166-1 state as an Actor; idempotent.

    Existing actors keep their name (an editor may have changed it); missing
    ISO names are added to their aliases. Returns counts of created, updated
    and unchanged actors.
    """
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    existing = {actor.code.upper(): actor for actor in Actor.objects.filter(kind=Actor.Kind.STATE)}
    for country in pycountry.countries:
        name, aliases = _country_names(country)
        actor = existing.get(country.alpha_3)
        if actor is None:
            actor = Actor.objects.filter(code__iexact=country.alpha_3).first()
        if actor is None:
            actor = Actor(code=country.alpha_3, name=name, kind=Actor.Kind.STATE, aliases=aliases)
            actor._change_reason = "ISO 3166-1 countries (pycountry)"
            actor.save()
            counts["created"] += 1
            continue
        if actor.add_aliases(aliases, reason="ISO 3166-1 countries (pycountry)"):
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    return counts
