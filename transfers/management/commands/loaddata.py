"""loaddata that validates our records like the admin does before saving them.

A fixture that breaks a rule fails with the record's natural key and the
rule's message, and (as loaddata runs in one transaction) leaves the
database as it was.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.core.management.commands import loaddata
from django.db.models import CheckConstraint


def _label(instance):
    try:
        key = "/".join(str(part) for part in instance.natural_key())
    except Exception:  # a broken reference: fall back to what we have
        key = f"pk={instance.pk}"
    return f"{instance._meta.label} '{key}'"


class Command(loaddata.Command):
    def save_obj(self, obj):
        instance = obj.object
        if instance._meta.app_label == "transfers":
            # References still unresolved are checked by loaddata itself at the end;
            # uniqueness is left to the database (an existing record is updated).
            deferred = [field.name for field in obj.deferred_fields]
            for field, value in obj.deferred_fields.items():
                if not field.null:
                    raise CommandError(
                        f"Could not load {_label(instance)}: {field.name} refers to an unknown "
                        f"{field.related_model._meta.verbose_name} {value!r}."
                    )
            try:
                instance.full_clean(exclude=deferred, validate_unique=False, validate_constraints=False)
                for constraint in instance._meta.constraints:
                    if isinstance(constraint, CheckConstraint):
                        constraint.validate(type(instance), instance, exclude=set(deferred))
            except ValidationError as exc:
                errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
                messages = "; ".join(
                    " ".join(texts) if field == "__all__" else f"{field}: {' '.join(texts)}"
                    for field, texts in errors.items()
                )
                raise CommandError(f"Could not load {_label(instance)}: {messages}") from exc
        return super().save_obj(obj)
