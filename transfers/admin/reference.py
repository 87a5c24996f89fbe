"""The reference lists: actors, people, weapon systems."""

from django.contrib import admin

from ..models import Actor, Person, WeaponSystem
from .base import BaseAdmin


@admin.register(Actor)
class ActorAdmin(BaseAdmin):
    list_display = ["code", "name", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["code", "name", "aliases"]
    autocomplete_fields = ["parent"]
    ordering = ["name"]


@admin.register(Person)
class PersonAdmin(BaseAdmin):
    list_display = ["name", "title", "affiliation"]
    list_filter = [("affiliation", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "title", "affiliation__name"]
    autocomplete_fields = ["affiliation"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["affiliation"]


@admin.register(WeaponSystem)
class WeaponSystemAdmin(BaseAdmin):
    list_display = ["designation", "category", "description", "origin", "producer"]
    list_filter = ["category", ("origin", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["designation", "slug", "description", "other_names"]
    autocomplete_fields = ["producer", "origin"]
    prepopulated_fields = {"slug": ["designation"]}
    list_select_related = ["origin", "producer"]
