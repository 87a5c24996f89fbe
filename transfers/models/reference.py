"""The reference lists: actors (states, organisations, companies, bodies), people, weapon systems."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper

from .base import CODE_VALIDATOR, History, NaturalKeyManager, validate_names, validate_not_an_id


class Actor(models.Model):
    """Any party: a state, an organisation, a non-state armed group, a company, a body.

    States use their ISO 3166-1 alpha-3 code; everything else a stable slug.
    """

    class Kind(models.TextChoices):
        STATE = "state", "state"
        HISTORICAL_STATE = "historical-state", "historical state"
        ORGANISATION = "organisation", "international organisation"
        NON_STATE = "non-state", "non-state armed group"
        COMPANY = "company", "company"
        GOVERNMENT_BODY = "government-body", "government body"
        UNKNOWN = "unknown", "unknown party"
        OTHER = "other", "other"

    code = models.CharField(
        max_length=64,
        unique=True,
        validators=[CODE_VALIDATOR, validate_not_an_id],
        help_text="ISO 3166-1 alpha-3 for states (RUS, IRN); a stable slug for everything else.",
    )
    name = models.CharField(max_length=200, db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.STATE, db_index=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The state a ministry or company belongs to.",
    )
    aliases = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_names],
        help_text="Other names used by sources and registers, one per line.",
    )
    notes = models.TextField(blank=True)

    objects = NaturalKeyManager("code")
    history = History()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Upper("code"),
                name="actor_code_unique_ci",
                violation_error_message="An actor with this code (ignoring case) already exists.",
            ),
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | ~Q(parent=F("pk")),
                name="actor_not_own_parent",
                violation_error_message="An actor cannot be its own parent.",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def natural_key(self):
        return (self.code,)

    def clean(self):
        super().clean()
        # The database refuses a cycle too (migration 0091); this says it in the form.
        seen, ancestor = {self.pk}, self.parent
        while ancestor is not None and self.pk is not None:
            if ancestor.pk in seen:
                raise ValidationError(
                    {"parent": f"{ancestor} is already under {self}: an actor cannot be its own ancestor."}
                )
            seen.add(ancestor.pk)
            ancestor = ancestor.parent

    def add_aliases(self, names, *, reason):
        """Append the names the actor is not yet known by (as its code, name or an alias) to
        its aliases and save them, `reason` in its history. True when any was added."""
        known = {self.code, self.name, *self.aliases}
        missing = []
        for name in names:
            if name not in known:
                missing.append(name)
                known.add(name)
        if not missing:
            return False
        self.aliases = [*self.aliases, *missing]
        self._change_reason = reason
        self.save(update_fields=["aliases"])
        return True


class Person(models.Model):
    """A named speaker, with the actor they speak for."""

    name = models.CharField(max_length=200, db_index=True)
    slug = models.SlugField(max_length=100, unique=True, validators=[validate_not_an_id])
    affiliation = models.ForeignKey(Actor, null=True, blank=True, on_delete=models.PROTECT, related_name="people")
    title = models.CharField(max_length=200, blank=True, help_text="Position, e.g. 'Defence Minister'.")
    notes = models.TextField(blank=True)

    objects = NaturalKeyManager("slug")
    history = History()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)


# --- Weapon systems ------------------------------------------------------------


class Category(models.TextChoices):
    """SIPRI's armament categories."""

    AIRCRAFT = "aircraft", "aircraft"
    AIR_DEFENCE = "air-defence", "air-defence systems"
    ANTI_SUBMARINE = "anti-submarine", "anti-submarine warfare weapons"
    ARMOURED_VEHICLES = "armoured-vehicles", "armoured vehicles"
    ARTILLERY = "artillery", "artillery"
    ENGINES = "engines", "engines"
    MISSILES = "missiles", "missiles"
    NAVAL_WEAPONS = "naval-weapons", "naval weapons"
    SATELLITES = "satellites", "satellites"
    SENSORS = "sensors", "sensors"
    SHIPS = "ships", "ships"
    OTHER = "other", "other"


class WeaponSystem(models.Model):
    """A weapon system or model, e.g. the Tor-M1 mobile surface-to-air missile system."""

    designation = models.CharField(max_length=200, db_index=True)
    slug = models.SlugField(max_length=200, unique=True, validators=[validate_not_an_id])
    category = models.CharField(max_length=20, choices=Category.choices, db_index=True)
    description = models.CharField(max_length=300, blank=True)
    producer = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.PROTECT, related_name="systems_produced"
    )
    origin = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.PROTECT, related_name="systems_originated"
    )
    other_names = models.JSONField(
        default=list, blank=True, validators=[validate_names], help_text="Reporting names and variants, one per line."
    )
    capability_notes = models.TextField(blank=True)

    objects = NaturalKeyManager("slug")
    history = History()

    class Meta:
        ordering = ["designation"]
        verbose_name = "weapon system"

    def __str__(self):
        return self.designation

    def natural_key(self):
        return (self.slug,)
