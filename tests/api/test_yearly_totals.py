"""The yearly totals (transfers.totals) always equal a full recomputation, and a summary
answers the same from them as computed live, through every kind of write."""

import datetime
import random
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import ProtectedError

from transfers import selectors
from transfers.models import Actor, Contract, Delivery, Release, Transfer, WeaponSystem
from transfers.totals import maintain
from transfers.totals.models import SystemTotal, SystemTotalDirty, TotalsDirty, YearlyTotal

from .conftest import build_register

DATA = Path(__file__).parent.parent / "data"
SAMPLES = [
    "sipri-legacy-sample.csv",
    "sipri-by-delivery-year-sample.csv",
    "sipri-release-2025-03-sample.csv",
    "sipri-release-2026-05-sample.csv",
]
FIELDS = [f.attname for f in YearlyTotal._meta.concrete_fields if f.attname != "id"]
SYSTEM_FIELDS = [f.attname for f in SystemTotal._meta.concrete_fields if f.attname != "id"]

QUERIES = [
    "group_by=delivery_year",
    "group_by=supplier,order_year",
    "group_by=category,delivery_year",
    "group_by=supplier",
    "group_by=recipient,category",
    "group_by=order_year,delivery_year",
    "group_by=supplier,delivery_year&absent=include",
    "group_by=category&absent=only",
    "group_by=delivery_year,recipient&supplier=RUS,USA&ordered_from=1990&ordered_to=2015",
    "group_by=supplier&category=aircraft",
    "group_by=delivery_year&category=aircraft,missiles,air-defence",
    "group_by=order_year&category=missiles,ships",  # values: answered live (a deal in both counts once)
    "group_by=recipient,order_year&category=aircraft",
    "group_by=supplier,category&ordered_from=1990",
    "group_by=recipient",
    "group_by=category,order_year",
    "group_by=supplier,recipient",
    "group_by=recipient,delivery_year&ordered_to=2010",
    "group_by=delivery_year&supplier=RUS",
    "group_by=delivery_year&recipient=IND,IRN",
    "group_by=supplier,recipient&category=aircraft",
    "group_by=supplier,recipient&category=ships&ordered_from=1990",
    "group_by=recipient&supplier=RUS&ordered_from=2000",
    # From the systems' totals.
    "group_by=system",
    "group_by=system&supplier=RUS",
    "group_by=supplier,system",
    "group_by=system,category&category=aircraft,ships",
    "group_by=system&absent=only",
    "group_by=system&supplier=RUS,USA&absent=include",
    "group_by=system&recipient=IND",  # live
]


def import_sample(name):
    from django.core.management.base import CommandError

    try:
        call_command("import_sipri", str(DATA / name), "--reimport", verbosity=0)
    except CommandError:
        pass  # the samples hold rejected rows on purpose; the valid ones are imported


def _ordered(rows):
    return sorted(rows, key=lambda row: [(value is None, "" if value is None else str(value)) for value in row])


def kept_rows(model=YearlyTotal, **grain):
    fields = FIELDS if model is YearlyTotal else SYSTEM_FIELDS
    return _ordered(tuple(row) for row in model.objects.filter(**grain).values_list(*fields))


def recomputed_rows(model=YearlyTotal):
    if model is YearlyTotal:
        fields, rows = FIELDS, maintain.compute(selectors.transfer_register_base())
    else:
        fields, rows = SYSTEM_FIELDS, maintain.systems_compute(selectors.transfer_register_base())
    return _ordered(tuple(getattr(row, name) for name in fields) for row in rows)


def rebuilt_rows():
    """Every grain of both tables as a rebuild from nothing makes it (rolled back)."""
    with transaction.atomic():
        maintain.rebuild()
        rows = kept_rows(), kept_rows(SystemTotal)
        transaction.set_rollback(True)
    return rows


def summaries(api):
    answers = {}
    for query in QUERIES:
        response = api.get(f"/api/transfers/summary/?{query}")
        assert response.status_code == 200, response.content
        answers[query] = response.json()
    return answers


def assert_totals_right(api, monkeypatch, where, *, read=True):
    """The kept totals are what a recomputation and a rebuild give; `read`: and every
    summary of QUERIES read from them answers as the live one (the reading's check: 60
    requests, four fifths of this check's time)."""
    assert not TotalsDirty.objects.exists(), where
    assert not SystemTotalDirty.objects.exists(), where
    assert kept_rows(grain=maintain.FULL) == recomputed_rows(), where
    assert kept_rows(SystemTotal, grain=1) == recomputed_rows(SystemTotal), where
    with monkeypatch.context() as patched:
        patched.setattr(maintain, "REBUILD_CHUNK", 7)  # a rebuild in many parts
        # The rollups (and the systems' sums) redone in part equal them redone in full.
        assert (kept_rows(), kept_rows(SystemTotal)) == rebuilt_rows(), where
    if not read:
        return
    from_totals = summaries(api)
    with monkeypatch.context() as patched:
        patched.setattr(maintain, "READ_TOTALS", False)
        live = summaries(api)
    for query in QUERIES:
        assert from_totals[query] == live[query], (where, query)


@pytest.fixture
def imported(db, django_capture_on_commit_callbacks):
    # As if committed: the refreshes the writes asked for run (none is left pending).
    with django_capture_on_commit_callbacks(execute=True):
        build_register()
        for name in SAMPLES[:2]:
            import_sample(name)
    assert not TotalsDirty.objects.exists()


def test_totals_equal_a_recomputation_through_random_edits_imports_and_deletes(
    api, imported, monkeypatch, django_capture_on_commit_callbacks
):
    rng = random.Random(20261130)
    # A refresh of a few cells names them; of more, joins them to the register, in parts.
    monkeypatch.setattr(maintain, "NAMED_CELLS", 2)
    monkeypatch.setattr(maintain, "REFRESH_CHUNK", 3)
    monkeypatch.setattr(maintain, "SYSTEMS_CHUNK", 2)
    actors = list(Actor.objects.all()[:40])
    releases = []
    systems = list(WeaponSystem.objects.order_by("pk"))
    assert YearlyTotal.objects.filter(kind=YearlyTotal.Kind.UNPLACED).exists()  # the walk starts with all kinds
    assert SystemTotal.objects.filter(kind=YearlyTotal.Kind.VALUE, grain=0).exists()
    assert_totals_right(api, monkeypatch, "start")
    actions = [
        "parties",
        "kind",
        "date",
        "dates",
        "value",
        "values",
        "absent",
        "category",
        "system",
        "systems",
        "deliver",
        "undeliver",
        "redate",
        "quantities",
        "move",
        "delete",
        "delete_contract",
        "update",
        "import",
    ]
    steps = 45
    for step in range(steps):
        action = rng.choice(actions)
        contract = rng.choice(list(Contract.objects.order_by("pk")))
        transfer = rng.choice(list(Transfer.objects.order_by("pk")))
        with django_capture_on_commit_callbacks(execute=True):
            if action == "parties":
                contract.supplier, contract.recipient = rng.sample(actors, 2)
                contract.save()
            elif action == "kind":
                contract.kind = rng.choice(["arms", "arms", "non-arms"])
                contract.save()
            elif action == "date":
                contract.order_date = rng.choice([None, datetime.date(rng.randint(1960, 2024), 1, 1)])
                contract.save()
            elif action == "dates":
                # Several deals at once, some with no order date: more cells than are named.
                for other in rng.sample(list(Contract.objects.order_by("pk")), 3):
                    other.order_date = rng.choice([None, None, datetime.date(rng.randint(1960, 2024), 1, 1)])
                    other.save()
            elif action == "value":
                contract.value_amount, contract.value_currency = rng.choice(
                    [(None, ""), (Decimal(rng.randint(1, 10**9)) / 100, rng.choice(["EUR", "USD"]))]
                )
                contract.save()
            elif action == "values":
                # Several deals' values at once (more cells than are named): rollup rows whose
                # only change is an amount, which a refresh of many cells must still rewrite.
                for other in rng.sample(list(Contract.objects.order_by("pk")), 3):
                    other.value_amount, other.value_currency = Decimal(rng.randint(1, 10**9)) / 100, "USD"
                    other.save()
            elif action == "absent":
                if not releases:
                    releases.extend(Release.objects.order_by("pk"))  # deals of a cell dropped by different releases
                contract.absent_from = rng.choice([None, *releases])
                contract.save()
            elif action == "category":
                system = transfer.system
                system.category = rng.choice(["aircraft", "missiles", "ships", "air-defence"])
                system.save()
            elif action == "system":
                # The line leaves one system for another: both systems' totals change.
                transfer.system = rng.choice(systems)
                transfer.save()
            elif action == "systems":
                # Lines of several systems at once (more systems than a chunk holds).
                for other in rng.sample(list(Transfer.objects.order_by("pk")), 5):
                    other.system = rng.choice(systems)
                    other.save()
            elif action == "deliver":
                if transfer.quantity_ordered is None:
                    Delivery.objects.create(
                        transfer=transfer,
                        date=datetime.date(rng.randint(1990, 2024), 1, 1),
                        quantity=rng.choice([None, rng.randint(1, 20)]),
                        tiv=rng.choice([None, Decimal(rng.randint(1, 9999)) / 1000]),
                    )
            elif action == "undeliver":
                delivery = Delivery.objects.filter(transfer=transfer, claims__isnull=True).first()
                if delivery is not None:
                    delivery.delete()
            elif action == "redate":
                delivery = Delivery.objects.filter(transfer=transfer).first()
                if delivery is not None:
                    delivery.date = datetime.date(rng.randint(1990, 2024), 6, 1)
                    delivery.save()
            elif action == "quantities":
                transfer.tiv_per_unit = rng.choice([None, Decimal(rng.randint(1, 99999)) / 1000])
                transfer.tiv_order = rng.choice([None, transfer.tiv_order])
                transfer.save()
            elif action == "move":
                transfer.contract = contract
                transfer.line = None
                transfer.save()
            elif action == "delete" and Transfer.objects.count() > 5:
                try:
                    transfer.delete()  # its deliveries cascade
                except ProtectedError:
                    pass
            elif action == "delete_contract" and Contract.objects.count() > 5:
                try:
                    contract.delete()
                except ProtectedError:
                    pass
            elif action == "update":
                # No signal: the triggers mark it, the summary is computed live until a refresh.
                Transfer.objects.filter(pk=transfer.pk).update(tiv_delivered=Decimal(rng.randint(0, 500)))
                Delivery.objects.filter(transfer__contract=contract).update(quantity=None)
            elif action == "import":
                import_sample(rng.choice(SAMPLES))
        if action == "update":
            assert TotalsDirty.objects.exists() and SystemTotalDirty.objects.exists()
            with monkeypatch.context() as patched:
                patched.setattr(maintain, "READ_TOTALS", False)
                live = summaries(api)
            assert summaries(api) == live  # stale totals are not read
            maintain.refresh()
        # What is kept is checked after every step (a wrong row stays wrong until its cell
        # is refreshed again); the summaries read from it every fifth step and at the end.
        assert_totals_right(api, monkeypatch, (step, action), read=step % 5 == 4 or step == steps - 1)


def test_the_totals_are_read_only_when_they_can_answer(api, imported, django_assert_num_queries):
    from transfers.api.filters import RegisterFilters

    def parts(params, group_by=("supplier",)):
        filters = RegisterFilters(params)
        return maintain.summary_parts(group_by=list(group_by), filters=filters, wanted=set(selectors.SUMMARY_MEASURES))

    assert parts({}) is not None
    assert parts({"supplier": "RUS", "absent": "only"}, ["category", "delivery_year"]) is not None
    assert parts({}, ["system"]) is not None  # the systems' totals
    assert parts({"supplier": "RUS", "category": "aircraft,ships"}, ["system", "category"]) is not None
    assert parts({"supplier": "RUS"}, ["supplier", "system"]) is not None
    assert parts({"recipient": "IND"}, ["system"]) is None  # not kept by recipient
    assert parts({}, ["system", "order_year"]) is None
    assert parts({"status": "signed"}) is None
    assert parts({"delivered_from": "2000"}) is None  # transfers with a delivery then: all their years count
    assert parts({"search": "tor"}) is None
    assert parts({"category": "aircraft,ships"}) is None  # values: a deal with both lines counts once
    assert parts({"category": "aircraft,ships"}, ["category"]) is not None
    Transfer.objects.filter(pk=selectors.transfer_register_base().order_by("pk").first().pk).update(comments="x")
    assert parts({}) is None  # marked stale: live until refreshed
    assert parts({}, ["system"]) is None
    maintain.refresh()
    assert parts({}) is not None
    assert parts({}, ["system"]) is not None


@pytest.mark.parametrize("group_by", ["delivery_year", "supplier,order_year", "category,delivery_year", "system"])
def test_a_summary_from_the_totals_takes_a_constant_number_of_queries(api, imported, group_by):
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = api.get(f"/api/transfers/summary/?group_by={group_by}")
        assert response.status_code == 200
        return len(queries), len(response.json())

    small, groups = count()
    # Many more groups: new parties, years, categories and systems.
    actors = [Actor.objects.create(code=f"totals-{i}", name=f"Totals {i}", kind=Actor.Kind.STATE) for i in range(26)]
    for i in range(25):
        contract = Contract.objects.create(
            reference=f"totals-{i}",
            supplier=actors[i],
            recipient=actors[i + 1],
            order_date=datetime.date(1950 + i, 1, 1),
            value_amount=Decimal(1000 + i),
            value_currency="USD",
        )
        system = WeaponSystem.objects.create(slug=f"totals-{i}", designation=f"Totals {i}", category="ships")
        line = Transfer.objects.create(contract=contract, system=system, quantity_ordered=10, tiv_per_unit=1)
        Delivery.objects.create(transfer=line, date=datetime.date(1951 + i, 1, 1), quantity=2)
    assert maintain.refresh()
    large, more_groups = count()
    assert more_groups > groups
    assert large == small
    assert small <= 6  # the dirty check, the rows, the values, the labels (and the data version)


def test_the_summaries_compared_read_every_grain(imported):
    from transfers.api.filters import RegisterFilters

    read, systems = set(), set()
    for query in QUERIES:
        params = dict(part.split("=", 1) for part in query.split("&"))
        group_by = params.pop("group_by").split(",")
        filters = RegisterFilters(params)
        if maintain.answerable(group_by=group_by, filters=filters, wanted=set(selectors.SUMMARY_MEASURES)):
            read.add(maintain.summary_grain(group_by=group_by, cleaned=filters.cleaned))
        elif maintain.systems_answerable(group_by=group_by, filters=filters, wanted=set(selectors.SUMMARY_MEASURES)):
            systems.add("supplier" in group_by or "supplier" in params)
    assert read == set(maintain.GRAINS)
    assert systems == {False, True}  # both grains of the systems' totals


@pytest.mark.migrates_back
@pytest.mark.django_db(transaction=True)
def test_migration_0085_marks_every_system_and_backwards_leaves_working_triggers(api, latest_schema_after):
    from django.db.migrations.executor import MigrationExecutor

    from transfers.api.filters import RegisterFilters

    before, after = [("transfers", "0084_ratecount_unlogged")], [("transfers", "0085_system_totals")]
    build_register()
    maintain.refresh()
    MigrationExecutor(connection).migrate(before)
    assert maintain.SYSTEMS_DIRTY not in connection.introspection.table_names()
    # The triggers left behind mark cells, and no longer systems (whose table is gone).
    # (Only columns of that schema: later migrations add some to the lines.)
    line = selectors.transfer_register_base().order_by("pk").values("pk", "system_id").first()
    Transfer.objects.filter(pk=line["pk"]).update(comments="after 0085 was undone")
    assert TotalsDirty.objects.exists()

    MigrationExecutor(connection).migrate(after)
    assert SystemTotalDirty.objects.count() == selectors.transfer_register_base().values("system").distinct().count()
    filters = RegisterFilters({})
    wanted = set(selectors.SUMMARY_MEASURES)
    assert maintain.summary_parts(group_by=["system"], filters=filters, wanted=wanted) is None  # live until refreshed
    live = api.get("/api/transfers/summary/?group_by=system").json()
    maintain.refresh()
    assert kept_rows(SystemTotal, grain=1) == recomputed_rows(SystemTotal)
    assert maintain.summary_parts(group_by=["system"], filters=RegisterFilters({}), wanted=wanted) is not None
    assert api.get("/api/transfers/summary/?group_by=system").json() == live
    # And the triggers mark systems again.
    Transfer.objects.filter(pk=line["pk"]).update(comments="after 0085 again")
    assert SystemTotalDirty.objects.filter(system_id=line["system_id"]).exists()


def test_deals_of_one_cell_absent_from_different_releases_are_one_absent_row(
    api, imported, monkeypatch, django_capture_on_commit_callbacks
):
    """A cell's absent deals are summed whatever release each was dropped from: grouping by
    the release itself gave two rows with one key, and every refresh after failed."""
    releases = list(Release.objects.order_by("pk")[:2])
    assert len(releases) == 2
    pairs = (
        Transfer.objects.filter(contract__order_date__isnull=False, contract__absent_from__isnull=True)
        .values_list("cached_supplier_id", "cached_recipient_id", "cached_category", "contract__order_date__year")
        .order_by()
    )
    cell = next(
        key
        for key in pairs
        if pairs.filter(
            cached_supplier_id=key[0],
            cached_recipient_id=key[1],
            cached_category=key[2],
            contract__order_date__year=key[3],
        )
        .values("contract")
        .distinct()
        .count()
        >= 2
    )
    contracts = list(
        Contract.objects.filter(
            supplier_id=cell[0], recipient_id=cell[1], transfers__cached_category=cell[2], order_date__year=cell[3]
        )
        .distinct()
        .order_by("pk")[:2]
    )
    for contract, release in zip(contracts, releases, strict=True):
        with django_capture_on_commit_callbacks(execute=True):
            contract.absent_from = release
            contract.save()
    assert_totals_right(api, monkeypatch, "two releases")
    absent = YearlyTotal.objects.filter(
        grain=maintain.FULL,
        supplier_id=cell[0],
        recipient_id=cell[1],
        category=cell[2],
        order_year=cell[3],
        absent=True,
        kind=YearlyTotal.Kind.LINES,
    )
    assert absent.count() == 1
    assert absent.get().transfers == Transfer.objects.filter(contract__in=contracts, cached_category=cell[2]).count()
    call_command("refresh_totals", "--rebuild", verbosity=0)
    assert_totals_right(api, monkeypatch, "rebuilt")


def test_absurd_but_accepted_figures_are_kept_in_the_totals(
    api, editor_api, imported, monkeypatch, django_capture_on_commit_callbacks
):
    """The largest figures the API accepts, on many lines and deals of one cell: far past
    what 64-bit thousandths of TIV or cents hold (a line's TIV is up to 2.1e20, its milli
    2.1e23; a contract's value up to 1e16, its cents 1e18, twelve of them 1.2e19). The
    totals keep them, every later write is still refreshed, and the summaries read from
    the totals answer as the live ones. (Before, the refresh failed on them after every
    write, and the kept totals went stale.)"""
    sqlite = connection.vendor == "sqlite"
    # SQLite keeps 15 significant digits of a value (validate_digits_kept).
    big_value = "9999999999999990.00" if sqlite else "9999999999999999.99"
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(12):
            body = {
                "reference": f"absurd-{i}",
                "supplier": "RUS",
                "recipient": "IRN",
                "order_date": "2001",
                "value_amount": big_value,
                "value_currency": "IRR",
            }
            response = editor_api.post("/api/contracts/", body, format="json")
            assert response.status_code == 201, response.content
            line = {
                "contract": f"absurd-{i}",
                "system": "tor-m1",
                "quantity_ordered": 2_147_483_647,
                "tiv_per_unit": "99999999999.999",
                "tiv_order": "99999999999.999",
            }
            response = editor_api.post("/api/transfers/", line, format="json")
            assert response.status_code == 201, response.content
            delivery = {"transfer": response.json()["id"], "date": "2003", "quantity": 2_147_483_647}
            response = editor_api.post("/api/deliveries/", delivery, format="json")
            assert response.status_code == 201, response.content
    response = api.get("/api/transfers/summary/", {"group_by": "supplier,order_year", "supplier": "RUS"})
    assert response.status_code == 200, response.content
    row = next(row for row in response.json() if row["group"]["order_year"] == 2001)
    assert row["quantity_delivered"] == 12 * 2_147_483_647
    values, tiv = Decimal(row["values"][0]["amount"]), Decimal(row["tiv_delivered"])
    if sqlite:
        # No exact number past 64 bits there: refreshed all the same, the sums approximate.
        assert not TotalsDirty.objects.exists()
        assert abs(values / (Decimal(big_value) * 12) - 1) < Decimal("1e-12")
        assert abs(tiv / (12 * 2_147_483_647 * Decimal("99999999999.999")) - 1) < Decimal("1e-12")
        return
    assert_totals_right(api, monkeypatch, "absurd figures")
    # The cell's values and TIV are the exact sums, through the totals.
    assert row["values"] == [{"currency": "IRR", "amount": str(Decimal(big_value) * 12)}]
    assert tiv == 12 * 2_147_483_647 * Decimal("99999999999.999")
    # A later ordinary edit is refreshed as always.
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_api.patch("/api/contracts/absurd-0/", {"value_amount": "1.00"}, format="json")
        assert response.status_code == 200, response.content
    assert_totals_right(api, monkeypatch, "after an edit", read=False)
