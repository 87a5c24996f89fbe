"""JSON fixtures that keep timestamps to the microsecond.

Django's JSON serializer cuts datetimes to milliseconds, so a dump and restore
would shift every history timestamp. Registered as the "json" format in settings.
Cached copies (Transfer.CACHED_FIELDS) are left out: a load recomputes them, and so is
the change feed's index (Change), which the history tables' triggers rebuild.
"""

import datetime

from django.core.serializers import json as django_json
from django.core.serializers.json import DjangoJSONEncoder


class PreciseJSONEncoder(DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, datetime.datetime):
            text = o.isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        return super().default(o)


class Serializer(django_json.Serializer):
    """Also leaves out cached copies (Transfer.CACHED_FIELDS): a load recomputes them."""

    def serialize(self, queryset, *args, **kwargs):
        # The change feed's index (Change) is rebuilt by the history tables' triggers as
        # a load writes their rows: dumped too, it would list each change twice.
        return super().serialize((o for o in queryset if o._meta.label != "transfers.Change"), *args, **kwargs)

    def _init_options(self):
        super()._init_options()
        self.json_kwargs["cls"] = PreciseJSONEncoder

    def handle_field(self, obj, field):
        if field.name not in getattr(obj, "CACHED_FIELDS", ()):
            super().handle_field(obj, field)

    def handle_fk_field(self, obj, field):
        if field.name not in getattr(obj, "CACHED_FIELDS", ()):
            super().handle_fk_field(obj, field)


Deserializer = django_json.Deserializer
