"""A weapon system is a designation with its category, as SIPRI writes them: the P-15
missile is not the P-15 radar, "Cobra" is not "COBRA", "Daphné" keeps its accent."""

import io
from pathlib import Path

from django.core.management import call_command
from django.utils.text import slugify
from rest_framework.test import APIClient

from transfers.models import Contract, Transfer, WeaponSystem
from transfers.sipri import importer

DATA = Path(__file__).parent / "data"
LEGACY = DATA / "sipri-legacy-2026-05-sample.csv"


def run(path, *args):
    out = io.StringIO()
    call_command("import_sipri", str(path), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def line(designation, description):
    return Transfer.objects.get(contract__title=f"{designation}: {description}")


def test_same_designation_different_weapons_are_different_systems(countries):
    run(LEGACY)
    radar, missile = line("P-15", "air-search radar"), line("P-15", "anti-ship missile")
    assert radar.system != missile.system
    assert (radar.system.category, missile.system.category) == ("sensors", "missiles")
    assert (radar.system.slug, missile.system.slug) == ("p-15", "p-15-missiles")
    assert missile.system.description == "anti-ship missile"

    # Spelling and case as SIPRI writes them; slugs still unique.
    cobras = {s.slug: (s.designation, s.category) for s in WeaponSystem.objects.filter(slug__startswith="cobra")}
    assert cobras == {
        "cobra": ("COBRA", "missiles"),
        "cobra-sensors": ("COBRA", "sensors"),
        "cobra-armoured-vehicles": ("Cobra", "armoured-vehicles"),
    }
    assert set(WeaponSystem.objects.filter(slug__startswith="daphne").values_list("designation", "slug")) == {
        ("Daphné", "daphne"),
        ("Daphne", "daphne-ships"),
    }
    assert line("Daphné", "submarine").system.designation == "Daphné"

    # Through the API: each deal's row carries its own system and category.
    api = APIClient()
    rows = api.get("/api/transfers/?search=P-15").json()["results"]
    assert sorted((r["system"]["slug"], r["system"]["category"]) for r in rows) == [
        ("p-15", "sensors"),
        ("p-15-missiles", "missiles"),
    ]
    assert api.get("/api/transfers/?system=p-15-missiles").json()["count"] == 1
    assert api.get("/api/transfers/summary/?group_by=category&search=COBRA").json()


def test_a_system_entered_by_hand_is_reused_when_designation_and_category_agree(countries):
    call_command("loaddata", "seed", verbosity=0)
    seed_tor = WeaponSystem.objects.get(slug="tor-m1")
    run(LEGACY)
    assert Transfer.objects.filter(system=seed_tor).count() == 2
    assert WeaponSystem.objects.filter(designation="Tor-M1").count() == 1


def _old_system_resolution(*, deals, reason):
    """The importer before #13: one system per slug of the designation, described,
    categorised and spelled by the first deal that used it."""
    first, by_key = {}, {}
    for deal in deals:
        slug = slugify(deal.designation) or "unnamed"
        first.setdefault(slug, deal)
    systems = {}
    for slug, deal in first.items():
        systems[slug] = WeaponSystem.objects.create(
            slug=slug, designation=deal.designation, category=deal.category, description=deal.description
        )
    for deal in deals:
        by_key[deal.system_key] = systems[slugify(deal.designation) or "unnamed"]
    return by_key, len(systems)


def test_reimporting_repairs_systems_merged_by_an_older_import(countries, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(importer, "system_resolve_sipri", _old_system_resolution)
        run(LEGACY)
    missile = line("P-15", "anti-ship missile")
    assert missile.system.category == "sensors"  # the radar's: the damage #13 reports
    assert line("Cobra", "armoured personnel carrier").system.designation == "COBRA"
    history = missile.history.count()

    out = run(LEGACY, "--reimport")
    # Repaired in place: the same deals, now on their own systems, no edit mistaken for a hand edit.
    assert "0 created" in out and "0 kept" in out and "contracts: 0 created, 4 updated" in out
    missile = line("P-15", "anti-ship missile")
    assert (missile.system.designation, missile.system.category) == ("P-15", "missiles")
    assert missile.cached_category == "missiles"  # the register's copy follows
    assert missile.history.count() == history + 1
    assert line("Cobra", "armoured personnel carrier").system.designation == "Cobra"
    assert line("Daphne", "patrol boat").system.designation == "Daphne"
    rows = APIClient().get("/api/transfers/?category=missiles&search=P-15").json()["results"]
    assert [r["id"] for r in rows] == [missile.pk]
    # The old systems stay for the deals that were theirs; nothing else moves on a third run.
    assert "contracts: 0 created, 0 updated, 22 unchanged" in run(LEGACY, "--reimport")
    assert Contract.objects.count() == 22
