"""The register's summary (/api/transfers/summary/): one row per group of transfers."""

from decimal import Decimal

from rest_framework import serializers


def _fixed(field, value):
    """field.to_representation(value), without its decimal context per value when the value
    already has the field's places, as the summary's TIV and amounts have: that context
    was half the time of a summary of 6,000 groups."""
    if isinstance(value, Decimal):
        text = format(value, "f")
        point = text.find(".")
        if point != -1 and len(text) - point - 1 == field.decimal_places:
            return text
    return field.to_representation(value)


class SummaryValueSerializer(serializers.Serializer):
    currency = serializers.CharField()
    amount = serializers.DecimalField(max_digits=20, decimal_places=2)


def _tiv_field(help_text):
    return serializers.DecimalField(max_digits=20, decimal_places=3, allow_null=True, help_text=help_text)


def _share_field(of):
    return serializers.FloatField(
        allow_null=True,
        help_text=f"This group's share of the total {of} of every row of the answer (all the transfers the "
        "filters select), as a fraction from 0 to 1 (0.25 = 25%); null when the group or the total has none. "
        "Below 0 only on an `unplaced` row whose amount is negative.",
    )


class SummaryRowSerializer(serializers.Serializer):
    group = serializers.DictField(
        help_text="The group keys, e.g. supplier and order_year. By delivery year, `delivery_year` is null "
        "only on a row with `unplaced` true."
    )
    transfers = serializers.IntegerField(
        help_text="Transfers (deal lines) in the group; on an `unplaced` row, the lines whose TIV delivered "
        "is not (wholly) placed in a year."
    )
    quantity_ordered = serializers.IntegerField(allow_null=True)
    quantity_delivered = serializers.IntegerField(allow_null=True)
    values = SummaryValueSerializer(many=True)
    tiv_delivered = _tiv_field(
        "SIPRI TIV (trend-indicator value) of the weapons delivered, in millions of TIV: a volume, not money "
        "(no currency). A line's published TIV delivered, else its quantity delivered x its TIV per unit. By "
        "delivery year: the TIV placed in that year (a delivery's own TIV as the by-delivery-year export gives "
        "it; a line delivered in one year: all of it; else quantity x TIV per unit); the rest is in the "
        "`unplaced` rows, never spread over years."
    )
    tiv_ordered = _tiv_field(
        "SIPRI TIV of the whole order, in millions of TIV (not money): a line's published TIV for the total "
        "order, else its quantity ordered x its TIV per unit. Null by delivery year (an order is not split "
        "by year)."
    )
    tiv_delivered_share = _share_field("tiv_delivered")
    tiv_ordered_share = _share_field("tiv_ordered")
    unplaced = serializers.BooleanField(
        required=False,
        help_text="Only when grouped by delivery_year. True on the row (one per group of the other key) that "
        "holds the TIV delivered that cannot be placed in a year (a legacy register row delivered over several "
        "years, deliveries of unknown size): its delivery_year is null, its `tiv_delivered` that amount, its "
        "`transfers` the lines concerned; it adds up with the year rows to the group's total. The amount is "
        "negative where a deal's published per-year TIV (by-delivery-year export) adds up to more than its "
        "total in the legacy register (the two exports round differently). False on the year rows.",
    )

    def to_representation(self, instance):
        # Rows come from the summary selector already in shape; only amounts need formatting.
        # Skipping the per-field machinery matters with thousands of groups.
        amount = self.fields["values"].child.fields["amount"]
        tiv = self.fields["tiv_delivered"]
        row = {
            "group": instance["group"],
            "transfers": instance["transfers"],
            "quantity_ordered": instance["quantity_ordered"],
            "quantity_delivered": instance["quantity_delivered"],
            "values": [
                {"currency": value["currency"], "amount": _fixed(amount, value["amount"])}
                for value in instance["values"]
            ],
        }
        for name in ("tiv_delivered", "tiv_ordered"):
            row[name] = None if instance[name] is None else _fixed(tiv, instance[name])
        row["tiv_delivered_share"] = instance["tiv_delivered_share"]
        row["tiv_ordered_share"] = instance["tiv_ordered_share"]
        if "unplaced" in instance:
            row["unplaced"] = instance["unplaced"]
        return row
