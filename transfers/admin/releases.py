"""The register's releases: written by import_sipri only, shown read-only."""

from django.contrib import admin

from ..models import Release
from .base import FilterCheckedMixin


@admin.register(Release)
class ReleaseAdmin(FilterCheckedMixin, admin.ModelAdmin):
    """Releases are written by import_sipri only: shown, never edited."""

    list_display = [
        "id",
        "format",
        "generated",
        "file_name",
        "deals",
        "added",
        "dropped",
        "matched_exact",
        "matched_weaker",
        "ambiguous",
        "imported_by",
        "imported_at",
    ]
    list_filter = ["format"]
    search_fields = ["file_name", "sha256", "imported_by"]
    ordering = ["-imported_at", "-pk"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Release._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
