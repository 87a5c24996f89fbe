"""Joins four lines of work made side by side: releases and the change feed (0031-0033),
articles (0040), the data version and sort keys (0050-0051), deliveries' own TIV (0060).
Nothing to do: they touch different tables and columns."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("transfers", "0033_change_feed"),
        ("transfers", "0040_articles"),
        ("transfers", "0051_register_sort_keys"),
        ("transfers", "0060_delivery_tiv"),
    ]

    operations = []
