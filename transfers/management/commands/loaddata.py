"""loaddata that validates our records like the admin does, and records their history.

A fixture that breaks a rule fails with the record's natural key and the
rule's message, and (as loaddata runs in one transaction) leaves the
database as it was. Once everything is loaded, each record whose values differ
from its latest history entry gets a "fixture load" entry: a reload that
changes nothing adds none, and a backup that carries its own history restores
it without extra entries.
"""

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.core.management.commands import loaddata
from django.db import IntegrityError, transaction
from django.db.models import CheckConstraint

from transfers.evidence import contract_disputed_deferred
from transfers.history import history_record_raw_save
from transfers.signals import raw_history_suspended


def _label(instance):
    try:
        key = "/".join(str(part) for part in instance.natural_key())
    except Exception:  # a broken reference: fall back to what we have
        key = f"pk={instance.pk}"
    return f"{instance._meta.label} '{key}'"


def _refuse_nul(instance):
    """PostgreSQL refuses a NUL in text and SQLite stores it: refused on both, so that a dump
    of either loads into the other."""
    errors = {
        field.name: "A NUL character is not allowed."
        for field in instance._meta.concrete_fields
        if isinstance(getattr(instance, field.attname, None), str) and "\x00" in getattr(instance, field.attname)
    }
    if errors:
        raise ValidationError(errors)


def _messages(exc):
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return "; ".join(
        " ".join(texts) if field == "__all__" else f"{field}: {' '.join(texts)}" for field, texts in errors.items()
    )


class Command(loaddata.Command):
    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help=(
                "Load only into a database that holds no records of ours yet; otherwise do nothing. "
                "`make run` seeds this way, so a restart never puts the seed back over editors' changes."
            ),
        )

    def handle(self, *fixture_labels, **options):
        if options.get("if_empty"):
            using = options.get("database") or "default"
            held = [
                str(model._meta.verbose_name_plural)
                for model in apps.get_app_config("transfers").get_models()
                if model._default_manager.using(using).exists()
            ]
            if held:
                self.stdout.write(
                    f"Not loading {', '.join(fixture_labels)}: the database already holds {', '.join(held[:3])}"
                    f"{' and more' if len(held) > 3 else ''}, and their edits are kept. "
                    "To load it anyway (over any edits): manage.py loaddata " + " ".join(fixture_labels)
                )
                return
        return super().handle(*fixture_labels, **options)

    def loaddata(self, fixture_labels):
        self.loaded = []
        token = raw_history_suspended.set(True)
        try:
            # Each deal's disputed flag is compared once, after all its claims are in.
            with contract_disputed_deferred():
                super().loaddata(fixture_labels)
        except CommandError:
            raise
        except Exception as exc:  # the fixture's fault (its format, a value, a reference): said, not a traceback
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            labels = ", ".join(fixture_labels)
            raise CommandError(f"Could not load {labels} ({type(exc).__name__}): {first[:500]}") from exc
        finally:
            raw_history_suspended.reset(token)
        self._record_history()

    def _record_history(self):
        by_model = {}
        for model, pk in self.loaded:
            by_model.setdefault(model, []).append(pk)
        for model, pks in by_model.items():
            for start in range(0, len(pks), 1000):
                for instance in model._default_manager.using(self.using).filter(pk__in=pks[start : start + 1000]):
                    history_record_raw_save(instance=instance, created=False, using=self.using)

    def save_obj(self, obj):
        instance = obj.object
        # Our records (not their historical rows, whose references may point at deleted records).
        tracked = instance._meta.app_label == "transfers" and hasattr(type(instance), "history")
        if tracked:
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
                _refuse_nul(instance)
                instance.full_clean(exclude=deferred, validate_unique=False, validate_constraints=False)
            except ValidationError as exc:
                raise CommandError(f"Could not load {_label(instance)}: {_messages(exc)}") from exc
            try:
                # The database checks the check constraints; each is asked by a query of its
                # own only when it refused (7 queries a record had been half of a load's time).
                with transaction.atomic(using=self.using):
                    saved = super().save_obj(obj)
            except IntegrityError as refused:
                try:
                    for constraint in instance._meta.constraints:
                        if isinstance(constraint, CheckConstraint):
                            constraint.validate(type(instance), instance, exclude=set(deferred))
                except ValidationError as exc:
                    raise CommandError(f"Could not load {_label(instance)}: {_messages(exc)}") from refused
                raise
        else:
            saved = super().save_obj(obj)
        if saved and tracked:
            self.loaded.append((type(instance), instance.pk))
        return saved
