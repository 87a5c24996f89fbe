"""Read every claim's old free-text assertion (`assertion_value`, e.g. '700000000 USD')
into the typed columns of 0020, by the grammar every channel uses (transfers.assertions).

A value that cannot be read is not dropped: the claim keeps it, as an `other` assertion
whose text is the old field and value ('status = nearly done'), with a history entry,
and the migration lists it, so that an editor can give it its typed value. Then every
deal's disputed flag is computed (transfers.evidence).
"""

from django.db import migrations
from django.db.models import Q
from django.utils import timezone

REASON = "migration 0021: assertion not readable as a typed value, kept as text"


def read_assertions(apps, schema_editor):
    from transfers.assertions import COLUMNS, assertion_cleaned
    from transfers.evidence import contract_disputed_refresh

    Claim = apps.get_model("transfers", "Claim")
    HistoricalClaim = apps.get_model("transfers", "HistoricalClaim")
    typed = Claim.objects.exclude(assertion_field__in=["", "other"]).order_by("pk")
    changed, unread = [], []
    for claim in typed.iterator(chunk_size=2000):
        values, errors = assertion_cleaned(
            values={"assertion_field": claim.assertion_field, "assertion_value": claim.assertion_value}
        )
        if errors:
            text = f"{claim.assertion_field} = {claim.assertion_value}"[:200]
            unread.append((claim, text, " ".join(errors.values())))
            values = {"assertion_field": "other", "assertion_value": text}
        for column, value in values.items():
            setattr(claim, column, value)
        changed.append(claim)
        if len(changed) >= 2000:
            Claim.objects.bulk_update(changed, COLUMNS)
            changed = []
    Claim.objects.bulk_update(changed, COLUMNS)
    if unread:
        now = timezone.now()
        fields = [field.attname for field in Claim._meta.concrete_fields]
        HistoricalClaim.objects.bulk_create(
            [
                HistoricalClaim(
                    **{name: getattr(claim, name) for name in fields},
                    history_date=now,
                    history_type="~",
                    history_change_reason=REASON,
                )
                for claim, _, _ in unread
            ]
        )
        print(f"\n  {len(unread)} claim(s) whose assertion could not be read, kept as 'other' with their text:")
        for claim, text, reason in unread:
            print(f"    claim {claim.key} (id {claim.pk}): {text!r}: {reason}")
    deals = set()
    about = Claim.objects.exclude(assertion_field__in=["", "other"])
    for path in ("contract_id", "transfer__contract_id", "delivery__transfer__contract_id"):
        deals.update(about.filter(~Q(**{f"{path}": None})).values_list(path, flat=True).distinct())
    contract_disputed_refresh(contract_ids=deals, registry=apps)


def write_assertions_back(apps, schema_editor):
    # Before 0020 a claim with a field needed its value as text: write it where only typed.
    from transfers.assertions import assertion_display

    Claim = apps.get_model("transfers", "Claim")
    for claim in Claim.objects.exclude(assertion_field="").filter(assertion_value="").iterator():
        Claim.objects.filter(pk=claim.pk).update(assertion_value=assertion_display(claim)[:200])


class Migration(migrations.Migration):
    dependencies = [
        ("transfers", "0020_claim_typed_assertions"),
    ]

    operations = [migrations.RunPython(read_assertions, write_assertions_back)]
