"""The change feed (/api/changes/, transfers.changes)."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from ...changes import FED
from ...history import CHANNEL_CHOICES


class ChangeEntrySerializer(serializers.Serializer):
    cursor = serializers.CharField(help_text="This change's cursor: `since` to continue after it.")
    record_type = serializers.ChoiceField(choices=list(FED))
    id = serializers.IntegerField(help_text="The record's id.")
    key = serializers.CharField(allow_null=True, help_text="The record's natural key (code, slug, reference...).")
    kind = serializers.ChoiceField(choices=["created", "updated", "deleted"])
    channel = serializers.ChoiceField(choices=CHANNEL_CHOICES, help_text="Through which channel the change came.")
    release = serializers.IntegerField(allow_null=True, help_text="For an import: the release (/api/releases/).")
    date = serializers.DateTimeField()
    values = serializers.DictField(
        child=serializers.JSONField(allow_null=True),
        help_text="The record's values after the change (before, if deleted).",
    )


@extend_schema_serializer(many=False)  # one answer holding a page, though the view is a list
class ChangeFeedSerializer(serializers.Serializer):
    results = ChangeEntrySerializer(many=True)
    cursor = serializers.CharField(help_text="Pass as `since` for the changes after these (the same if none).")
    more = serializers.BooleanField(help_text="Whether more changes follow now.")
    next = serializers.URLField(help_text="The URL of the changes after these.")
