"""SIPRI releases (transfers.sipri.releases): each import of an export, and the changes between two."""

from rest_framework import serializers

from ...models import (
    Release,
    ReleaseDeal,
)
from ...sipri.releases import DIFF_FIELDS


class ReleaseSerializer(serializers.ModelSerializer):
    """One import of a SIPRI export, with what it held and what the import did."""

    source = serializers.SlugRelatedField(slug_field="key", read_only=True, allow_null=True)
    # As a record's history names its editors (transfers.history.history_entries): an
    # editor's name can endanger them, so anonymous readers do not see it.
    imported_by = serializers.SerializerMethodField(
        help_text="Who ran the import; only for signed-in users who may view releases."
    )

    def get_imported_by(self, release) -> str | None:
        user = getattr(self.context.get("request"), "user", None)
        if user is not None and user.is_authenticated and user.has_perm("transfers.view_release"):
            return release.imported_by
        return None

    class Meta:
        model = Release
        fields = [
            "id",
            "format",
            "generated",
            "sha256",
            "file_name",
            "source",
            "previous",
            "rows",
            "deals",
            "rejected",
            "created",
            "updated",
            "unchanged",
            "kept",
            "added",
            "dropped",
            "years_from",
            "years_to",
            "partial",
            "matched_exact",
            "matched_weaker",
            "ambiguous",
            "imported_by",
            "imported_at",
            "seconds",
        ]
        read_only_fields = fields


class ReleaseFieldChangeSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=DIFF_FIELDS)
    old = serializers.JSONField(allow_null=True, help_text="As the earlier release published it (TIVs as text).")
    new = serializers.JSONField(allow_null=True)


class ReleaseDealChangeSerializer(serializers.Serializer):
    change = serializers.ChoiceField(choices=["added", "dropped", "revised"])
    key = serializers.CharField(help_text="The deal's key across releases.")
    reference = serializers.CharField(help_text="The deal's reference in the release that holds it.")
    contract = serializers.IntegerField(allow_null=True, help_text="The id of the contract that holds the deal.")
    supplier = serializers.CharField(help_text="Actor code.")
    recipient = serializers.CharField(help_text="Actor code.")
    designation = serializers.CharField()
    category = serializers.CharField()
    order_year = serializers.IntegerField()
    match = serializers.ChoiceField(
        choices=ReleaseDeal.Match.values, help_text="How the deal was matched in the later release (or why not)."
    )
    match_rule = serializers.CharField()
    values = serializers.DictField(
        child=serializers.JSONField(allow_null=True),
        help_text="The deal's figures in the later release (in the earlier one for a dropped deal).",
    )
    fields = ReleaseFieldChangeSerializer(many=True, help_text="Revised deals: each changed field, old and new.")


class ReleaseSupplierTotalSerializer(serializers.Serializer):
    supplier = serializers.CharField(help_text="Actor code.")
    added = serializers.IntegerField()
    dropped = serializers.IntegerField()
    revised = serializers.IntegerField()
    tiv_added = serializers.DecimalField(
        max_digits=20, decimal_places=3, help_text="SIPRI TIV for total order of the deals added (millions)."
    )
    tiv_removed = serializers.DecimalField(
        max_digits=20, decimal_places=3, help_text="SIPRI TIV for total order of the deals dropped."
    )
    tiv_revised = serializers.DecimalField(
        max_digits=20, decimal_places=3, help_text="Sum of new minus old TIV for total order of the revised deals."
    )


class ReleaseChangeCountsSerializer(serializers.Serializer):
    added = serializers.IntegerField()
    dropped = serializers.IntegerField()
    revised = serializers.IntegerField()


class ReleaseChangesSerializer(serializers.Serializer):
    release = serializers.IntegerField()
    since = serializers.IntegerField()
    counts = ReleaseChangeCountsSerializer(help_text="Under the filters given.")
    totals = ReleaseSupplierTotalSerializer(many=True, help_text="Per supplier, under the filters given.")
    count = serializers.IntegerField(help_text="Deals changed (added, dropped, revised) under the filters.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ReleaseDealChangeSerializer(many=True)
