"""Releases of a register: one SIPRI import each, and each deal as that release published it."""

from django.db import models

from .base import NaturalKeyManager
from .deals import Contract
from .reference import Actor


class Release(models.Model):
    """One import of one SIPRI export: which file (its sha256), what it held and what
    the import did with it. A file whose sha256 is recorded is not imported again."""

    format = models.CharField(max_length=20, help_text="The export's format: legacy or by-delivery-year.")
    generated = models.DateField(null=True, blank=True, help_text="The export's 'Data generated' date.")
    sha256 = models.CharField(max_length=64, help_text="SHA-256 of the file as read.")
    file_name = models.CharField(max_length=300, blank=True)
    source = models.ForeignKey(
        "Source",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="releases",
        help_text="The source its claims cite.",
    )
    previous = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The release of the same format its deals were matched against.",
    )
    rows = models.PositiveIntegerField(default=0, help_text="Rows read.")
    deals = models.PositiveIntegerField(default=0, help_text="Deals in the export.")
    rejected = models.PositiveIntegerField(default=0, help_text="Rows rejected.")
    created = models.PositiveIntegerField(default=0, help_text="Deals created in the register.")
    updated = models.PositiveIntegerField(default=0, help_text="Deals updated in the register.")
    unchanged = models.PositiveIntegerField(default=0, help_text="Deals the import left as they were.")
    kept = models.PositiveIntegerField(default=0, help_text="Deals edited by hand since, kept as edited.")
    dropped = models.PositiveIntegerField(default=0, help_text="Deals of the previous release absent from this one.")
    matched_exact = models.PositiveIntegerField(default=0, help_text="Deals matched to the previous release exactly.")
    matched_weaker = models.PositiveIntegerField(
        default=0, help_text="Deals matched to the previous release by a weaker rule."
    )
    ambiguous = models.PositiveIntegerField(
        default=0, help_text="Deals with several equally good candidates in the previous release: left unmatched."
    )
    added = models.PositiveIntegerField(default=0, help_text="Deals not in the previous release.")
    years_from = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The first delivery year the export covers (its preamble); empty: every year."
    )
    years_to = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The last delivery year the export covers; empty: every year."
    )
    partial = models.CharField(
        max_length=200,
        blank=True,
        help_text=(
            "Why the export may not hold the whole register (rows rejected, no deals, some suppliers or "
            "recipients only, fewer delivery years than the last whole release); empty if it does. A partial "
            "release marks no deal absent, and the next release is matched against the last whole one."
        ),
    )
    imported_by = models.CharField(max_length=150, blank=True, help_text="Who ran the import.")
    imported_at = models.DateTimeField(help_text="When the import ran.")
    seconds = models.FloatField(default=0)

    objects = NaturalKeyManager("sha256")

    class Meta:
        ordering = ["imported_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["sha256"],
                name="release_sha256_unique",
                violation_error_message="This file (same SHA-256) is already recorded as a release.",
            ),
        ]

    def __str__(self):
        return f"{self.format} {self.generated or 'undated'} ({self.sha256[:8]})"

    def natural_key(self):
        return (self.sha256,)


class ReleaseDeal(models.Model):
    """A deal as one release published it: the figures of the file, not of the register
    (which editors may have changed since). `key` names the deal across releases (SIPRI's
    deal id, or the key of the deal it was matched to in the previous release), so what
    changed between two releases is a join on it."""

    class Match(models.TextChoices):
        EXACT = "exact", "matched exactly"
        WEAKER = "weaker", "matched by a weaker rule"
        AMBIGUOUS = "ambiguous", "ambiguous: several candidates, left unmatched"
        NEW = "new", "not in the previous release"

    # No index of its own: release_deal_key_unique leads with it.
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="snapshot", db_index=False)
    key = models.CharField(max_length=100, help_text="The deal's key across releases.")
    reference = models.CharField(max_length=100, help_text="The row's reference in this export.")
    # No index of its own: release_deal_contract leads with it.
    contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.SET_NULL, related_name="release_deals", db_index=False
    )
    match = models.CharField(max_length=10, choices=Match.choices)
    match_rule = models.CharField(max_length=100, blank=True)
    supplier = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="+")
    designation = models.CharField(max_length=200)
    description = models.CharField(max_length=300, blank=True)
    category = models.CharField(max_length=20, blank=True)
    order_year = models.PositiveSmallIntegerField()
    order_year_is_estimate = models.BooleanField(default=False)
    quantity_ordered = models.PositiveIntegerField(null=True, blank=True)
    quantity_ordered_is_estimate = models.BooleanField(default=False)
    delivered = models.PositiveIntegerField(null=True, blank=True)
    delivered_is_estimate = models.BooleanField(default=False)
    delivery_years = models.CharField(max_length=400, blank=True, help_text="As published: '2006; 2007'.")
    status = models.CharField(max_length=24, blank=True, help_text="New, second-hand...: the transfer's condition.")
    tiv_per_unit = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    tiv_order = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    tiv_delivered = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    comments = models.TextField(blank=True)

    class Meta:
        ordering = ["release", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["release", "key"],
                name="release_deal_key_unique",
                violation_error_message="A release holds each deal once.",
            ),
        ]
        indexes = [models.Index(fields=["contract", "release"], name="release_deal_contract")]

    def __str__(self):
        return f"{self.release_id}: {self.key}"
