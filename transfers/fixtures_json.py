"""JSON fixtures that keep timestamps to the microsecond.

Django's JSON serializer cuts datetimes to milliseconds, so a dump and restore
would shift every history timestamp. Registered as the "json" format in settings.
Cached copies (Transfer.CACHED_FIELDS) are left out: a load recomputes them.
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
