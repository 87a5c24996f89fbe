"""An article kept with its full text, and the draft claims the engine read from it.

Drafts live in their own table: nothing that counts, lists or compares claims
(the claim lists, transfers.evidence, the timeline) ever sees one. Accepting a draft
(transfers.articles.review) creates the Claim.
"""

from django.conf import settings
from django.db import models

from ..dates import Precision
from ..models import Actor, Claim, Contract, Delivery, Person, Source, Transfer, WeaponSystem
from ..models.base import History


class Article(models.Model):
    """The full text of a Source that was ingested as an article."""

    source = models.OneToOneField(Source, on_delete=models.PROTECT, related_name="article")
    text = models.TextField(help_text="The article as plain text; drafts point into it by character offsets.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = History()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.source.title

    @property
    def pending_count(self):
        return self.drafts.filter(status=Draft.Status.PENDING).count()


class Draft(models.Model):
    """A claim as the engine read it from one sentence of an article, waiting for review.

    `cues` says which words decided each part: {part: [cue, ...]}."""

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        ACCEPTED = "accepted", "accepted"
        REJECTED = "rejected", "rejected"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="drafts")
    position = models.PositiveIntegerField(help_text="Order in the article.")
    group = models.PositiveIntegerField(
        help_text="Drafts of one statement (one sentence, one speaker) share a group: accepted, one statement key."
    )
    start = models.PositiveIntegerField(help_text="Offset of the sentence in the article's text.")
    end = models.PositiveIntegerField()
    also = models.JSONField(default=list, blank=True, help_text="Other [start, end] spans saying the same thing.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    # What it is about: one existing record, or a proposed contract.
    contract = models.ForeignKey(Contract, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    transfer = models.ForeignKey(Transfer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    delivery = models.ForeignKey(Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    system = models.ForeignKey(WeaponSystem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor = models.ForeignKey(Actor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    proposed_contract = models.JSONField(
        default=dict,
        blank=True,
        help_text="A new deal to create on acceptance when no existing record is chosen: supplier, recipient "
        "(actor codes), system (slug) or system_name.",
    )
    # Who says it.
    speaker = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    speaker_actor = models.ForeignKey(Actor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    speaker_role = models.CharField(max_length=200, blank=True)
    proposed_speaker = models.CharField(
        max_length=200, blank=True, help_text="A named person not yet recorded: created on acceptance."
    )
    attribution = models.CharField(max_length=14, choices=Claim.Attribution.choices, default=Claim.Attribution.SOURCE)
    stance = models.CharField(max_length=12, choices=Claim.Stance.choices, default=Claim.Stance.ASSERTS)
    assertion_field = models.CharField(max_length=20, choices=Claim.AssertionField.choices, blank=True)
    assertion_value = models.CharField(
        max_length=200, blank=True, help_text="The typed value in a form claims accept (USD 700000000, 2005-12, 29)."
    )
    assertion_text = models.CharField(max_length=200, blank=True, help_text="The value as the article words it.")
    quote = models.TextField(blank=True)
    summary = models.TextField(blank=True)
    stated_date = models.DateField(null=True, blank=True)
    stated_date_precision = models.CharField(max_length=5, choices=Precision.choices, default=Precision.DAY)
    cues = models.JSONField(default=dict, blank=True)
    claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # What the engine drafted, and every edit and decision after it.
    history = History()

    class Meta:
        ordering = ["article", "position"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gte=models.F("start")), name="draft_span_ordered"),
        ]

    def __str__(self):
        return f"Draft {self.position} of {self.article_id}: {self.summary[:60]}"

    @property
    def sentence(self):
        return self.article.text[self.start : self.end]
