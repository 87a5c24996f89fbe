"""What happened: a record's change history (/history/) and a deal's timeline (/timeline/)."""

from rest_framework import serializers

from ...history import CHANNEL_CHOICES
from ...models import (
    Claim,
)
from .evidence import AssertionSerializer


class HistoryChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class HistoryEntrySerializer(serializers.Serializer):
    history_id = serializers.IntegerField()
    date = serializers.DateTimeField()
    type = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    user = serializers.CharField(
        allow_null=True, help_text="Who made the change; only for signed-in users who may view the record."
    )
    channel = serializers.ChoiceField(choices=CHANNEL_CHOICES, help_text="Through which channel the change came.")
    reason = serializers.CharField(allow_null=True)
    changes = HistoryChangeSerializer(many=True)


class TimelineSourceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField()
    title = serializers.CharField()
    publisher = serializers.CharField()
    outlet = serializers.CharField()
    url = serializers.CharField()
    published_date = serializers.CharField(allow_null=True)


class TimelineClaimSerializer(serializers.ModelSerializer):
    """A claim in a timeline: who said what, with its typed assertion."""

    subject_type = serializers.CharField(read_only=True)
    speaker = serializers.CharField(source="speaker.name", allow_null=True, read_only=True)
    speaker_actor = serializers.CharField(source="speaker_actor.code", allow_null=True, read_only=True)
    assertion = AssertionSerializer(source="*", read_only=True, allow_null=True)
    cites = serializers.CharField(source="cites.key", allow_null=True, read_only=True)

    class Meta:
        model = Claim
        fields = [
            "id",
            "key",
            "subject_type",
            "speaker",
            "speaker_actor",
            "speaker_role",
            "attribution",
            "stance",
            "assertion",
            "statement",
            "cites",
            "quote",
            "rank",
        ]


class TimelineEventSerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=["order", "delivery", "claim", "statement"],
        help_text="A statement is several claims of one quote, speaker and source (their shared statement key).",
    )
    date = serializers.CharField(
        allow_null=True, help_text="At its precision (2005-12); a range as start/end (2007-01-16/2007-01-17)."
    )
    date_precision = serializers.CharField(allow_null=True, help_text="The precision of the date (or range start).")
    date_end = serializers.CharField(allow_null=True, help_text="The end of a range of dates, else null.")
    date_basis = serializers.CharField(help_text="What the date is: ordered, delivered, stated or published.")
    description = serializers.CharField()
    claim = TimelineClaimSerializer(allow_null=True, help_text="The claim of a claim event, else null.")
    claims = TimelineClaimSerializer(many=True, help_text="The claims of a claim or statement event.")
    sources = TimelineSourceSerializer(many=True)
