"""The rules of typed assertions, once 0021 has read every old value into its columns."""

import datetime

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("transfers", "0021_claim_assertions_read"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='claim',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('assertion_field', ''), _negated=True), models.Q(('assertion_amount__isnull', True), ('assertion_date__isnull', True), ('assertion_quantity__isnull', True), ('assertion_status', ''), ('assertion_value', '')), _connector='OR'), name='claim_assertion_has_field', violation_error_message="An assertion's value needs the field it is about."),
        ),
        migrations.AddConstraint(
            model_name='claim',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('assertion_field__in', ('quantity_ordered', 'quantity_delivered')), ('assertion_quantity__isnull', False)), models.Q(models.Q(('assertion_field__in', ('quantity_ordered', 'quantity_delivered')), _negated=True), ('assertion_quantity__isnull', True), ('assertion_quantity_max__isnull', True)), _connector='OR'), name='claim_assertion_quantity', violation_error_message='A quantity assertion needs a quantity; only a quantity assertion takes one.'),
        ),
        migrations.AddConstraint(
            model_name='claim',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('assertion_amount__isnull', False), ('assertion_field', 'value'), models.Q(('assertion_currency', ''), _negated=True)), models.Q(models.Q(('assertion_field', 'value'), _negated=True), ('assertion_amount__isnull', True), ('assertion_amount_max__isnull', True), ('assertion_currency', '')), _connector='OR'), name='claim_assertion_value', violation_error_message='A value assertion needs an amount and its currency (ISO 4217), and only a value assertion takes them.'),
        ),
        migrations.AddConstraint(
            model_name='claim',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('assertion_date__isnull', False), ('assertion_field__in', ('order_date', 'delivery_date'))), models.Q(models.Q(('assertion_field__in', ('order_date', 'delivery_date')), _negated=True), ('assertion_date__isnull', True), ('assertion_date_end__isnull', True)), _connector='OR'), name='claim_assertion_date', violation_error_message='A date assertion needs a date, and only a date assertion takes one.'),
        ),
        migrations.AddConstraint(
            model_name='claim',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('assertion_field', 'status'), models.Q(('assertion_status', ''), _negated=True)), models.Q(models.Q(('assertion_field', 'status'), _negated=True), ('assertion_negated', False), ('assertion_status', '')), _connector='OR'), name='claim_assertion_status', violation_error_message='A status assertion needs a status, and only a status can be negated.'),
        ),
        migrations.AddConstraint(
            model_name='claim',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('assertion_field__in', ('quantity_ordered', 'quantity_delivered', 'value')), models.Q(('assertion_qualifier', ''), _negated=True)), models.Q(models.Q(('assertion_field__in', ('quantity_ordered', 'quantity_delivered', 'value')), _negated=True), ('assertion_is_estimate', False), ('assertion_qualifier', '')), _connector='OR'), name='claim_assertion_qualifier', violation_error_message='Quantities and amounts take a qualifier and an estimate flag; nothing else.'),
        ),
        migrations.AddConstraint(
            model_name='claim',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('assertion_quantity_max__isnull', True), ('assertion_quantity_max__gt', models.F('assertion_quantity')), _connector='OR'), models.Q(('assertion_amount_max__isnull', True), ('assertion_amount_max__gt', models.F('assertion_amount')), _connector='OR'), models.Q(('assertion_date_end__isnull', True), ('assertion_date_end__gt', models.F('assertion_date')), _connector='OR'), models.Q(('assertion_amount__isnull', True), ('assertion_amount__gte', 0), _connector='OR')), name='claim_assertion_range', violation_error_message='A range ends above where it starts, and amounts are not negative.'),
        ),
        migrations.AddConstraint(
            model_name='claim',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('assertion_field', 'other'), _negated=True), models.Q(('assertion_value', ''), _negated=True), _connector='OR'), name='claim_assertion_other_has_text', violation_error_message="An 'other' assertion is its text: write it."),
        ),
        migrations.AddConstraint(
            model_name='claim',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('assertion_date__isnull', True), models.Q(('assertion_date__gte', datetime.date(1900, 1, 1)), ('assertion_date__lte', datetime.date(2100, 12, 31))), _connector='OR'), models.Q(('assertion_date_end__isnull', True), models.Q(('assertion_date_end__gte', datetime.date(1900, 1, 1)), ('assertion_date_end__lte', datetime.date(2100, 12, 31))), _connector='OR')), name='claim_assertion_dates_sane', violation_error_message='Asserted dates must lie between 1900 and 2100.'),
        ),
        migrations.AddConstraint(
            model_name='claim',
            constraint=models.CheckConstraint(condition=models.Q(('stated_date_end__isnull', True), models.Q(('stated_date__isnull', False), ('stated_date_end__gt', models.F('stated_date'))), _connector='OR'), name='claim_stated_range', violation_error_message='The end of the date stated comes after its start.'),
        ),
        migrations.AddConstraint(
            model_name='claim',
            constraint=models.CheckConstraint(condition=models.Q(('cites__isnull', True), models.Q(('cites', models.F('source')), _negated=True), _connector='OR'), name='claim_cites_another_source', violation_error_message='A claim cites another source than its own.'),
        ),
    ]
