"""What every serializer shares: brief representations of related records (a contract
shown inside a transfer), and the model's own validation run on writes, as the admin runs it."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from ...models import (
    Actor,
    Contract,
    Delivery,
    Person,
    Source,
    Transfer,
    WeaponSystem,
)
from ...models.deals import INTEGER_MAX
from ..exceptions import unique_message
from ..fields import (
    NestedRelatedField,
    PartialDateField,
    StrictCharField,
    StrictDecimalField,
    StrictIntegerField,
    StrictSlugField,
    StrictURLField,
)

# --- Brief representations of related records ----------------------------------------


class ActorBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Actor
        fields = ["id", "code", "name"]


class PersonBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Person
        fields = ["id", "slug", "name"]


class SystemBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = WeaponSystem
        fields = ["id", "slug", "designation", "category"]


class ContractBriefSerializer(serializers.ModelSerializer):
    order_date = PartialDateField(date_field="order_date", read_only=True, allow_null=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "reference",
            "status",
            "order_date",
            "order_date_precision",
            # SIPRI's "?" on the year of order: shown wherever the date is.
            "order_date_is_estimate",
            "value_amount",
            "value_currency",
            "value_is_estimate",
        ]


class TransferBriefSerializer(serializers.ModelSerializer):
    contract = serializers.CharField(source="contract.reference", read_only=True)
    system = serializers.CharField(source="system.slug", read_only=True)

    class Meta:
        model = Transfer
        fields = ["id", "contract", "line", "system"]


class DeliveryBriefSerializer(serializers.ModelSerializer):
    date = PartialDateField(date_field="date", read_only=True)

    class Meta:
        model = Delivery
        fields = ["id", "transfer", "date", "quantity"]


class SourceBriefSerializer(serializers.ModelSerializer):
    published_date = PartialDateField(date_field="published_date", read_only=True, allow_null=True)

    class Meta:
        model = Source
        fields = ["id", "key", "title", "publisher", "outlet", "url", "published_date"]


def actor_field(**kwargs):
    return NestedRelatedField(
        brief=ActorBriefSerializer, lookup="code", case_insensitive=True, queryset=Actor.objects.all(), **kwargs
    )


# --- Validation shared with the admin ---------------------------------------------------------


class ModelValidationMixin:
    """Run the model's own validation (field validators, clean(), constraints), as the admin does."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        model = self.Meta.model
        instance = self.instance or model()
        original = {name: getattr(instance, name) for name in attrs if hasattr(instance, name)}
        for name, value in attrs.items():
            setattr(instance, name, value)
        try:
            instance.full_clean()
            # What clean() normalised (a currency in capitals) is what gets saved.
            attrs = {name: getattr(instance, name) if name in original else value for name, value in attrs.items()}
        except DjangoValidationError as exc:
            errors = _messages(model, exc)
            raise serializers.ValidationError(
                {("non_field_errors" if field == "__all__" else field): messages for field, messages in errors.items()}
            ) from exc
        finally:
            if self.instance is not None:
                for name, value in original.items():
                    setattr(self.instance, name, value)
        return attrs


def _messages(model, exc):
    """{field: messages} of a model's validation error; a unique field's refusal worded as
    the serializer's own check words it (the key was taken between the two checks)."""
    if not hasattr(exc, "error_dict"):
        return {"__all__": exc.messages}
    errors = {}
    for name, found in exc.error_dict.items():
        unique = next((f for f in model._meta.concrete_fields if f.name == name and f.unique), None)
        errors[name] = [
            unique_message(model, unique) if unique is not None and error.code == "unique" else message
            for error in found
            for message in error.messages
        ]
    return errors


class BaseModelSerializer(ModelValidationMixin, serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.SlugField: StrictSlugField,
        models.URLField: StrictURLField,
        models.IntegerField: StrictIntegerField,
        models.BigIntegerField: StrictIntegerField,
        models.SmallIntegerField: StrictIntegerField,
        models.PositiveIntegerField: StrictIntegerField,
        models.PositiveSmallIntegerField: StrictIntegerField,
        models.PositiveBigIntegerField: StrictIntegerField,
        models.DecimalField: StrictDecimalField,
    }

    def build_standard_field(self, field_name, model_field):
        # A field unique by a named constraint (source_url_unique) is refused in the
        # constraint's words, as the database's refusal of a racing request is (exceptions.
        # database_refusal), not in DRF's "source with this url already exists."
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if type(model_field) in (models.IntegerField, models.PositiveIntegerField):
            # The range of PostgreSQL's column, whatever database this is: SQLite's is 64-bit,
            # and the schema made on it said int64 where the API refuses past 2,147,483,647.
            kwargs["max_value"] = min(kwargs.get("max_value", INTEGER_MAX), INTEGER_MAX)
            kwargs["min_value"] = max(kwargs.get("min_value", -INTEGER_MAX - 1), -INTEGER_MAX - 1)
        for constraint in model_field.model._meta.constraints:
            if isinstance(constraint, models.UniqueConstraint) and constraint.fields == (field_name,):
                for validator in kwargs.get("validators", []):
                    if isinstance(validator, UniqueValidator):
                        validator.message = constraint.violation_error_message
        return field_class, kwargs
