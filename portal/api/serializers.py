"""Output serializers of the shared core's API."""

import operator
from collections.abc import Callable, Sequence
from datetime import tzinfo
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.utils import timezone
from rest_framework import serializers

from portal.models import Agency, Country


class CountrySerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="localized_name", read_only=True)

    class Meta:
        model = Country
        fields = ["code", "alpha3", "numeric", "name"]


class AgencySerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country_id", read_only=True)

    class Meta:
        model = Agency
        fields = ["id", "code", "name", "country", "kind"]


class PrincipalSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["user", "api_key"])
    name = serializers.CharField()
    agency = AgencySerializer(allow_null=True)
    country = serializers.CharField(allow_null=True)
    roles = serializers.ListField(child=serializers.CharField())
    scopes = serializers.ListField(child=serializers.CharField())


class ErrorBodyOut(serializers.Serializer):
    status = serializers.IntegerField()
    code = serializers.CharField()
    message = serializers.CharField()
    # DRF takes declared fields out of the class body, so this does not replace `Serializer.fields`.
    fields = serializers.DictField(  # type: ignore[assignment]
        help_text="For invalid input: the messages of each field at fault."
    )


class ErrorOut(serializers.Serializer):
    """Every error answer of the API has this shape."""

    error = ErrorBodyOut()


class PlannedRepresentation:
    """A serializer mixin for lists: the same output as DRF's `to_representation`, computed from a
    plan made once per serializer class instead of by DRF's generic walk over freshly built fields
    for every object (which dominated the cost of a 50-row page).

    The plan keeps each field's own `to_representation` (formats of dates, decimals, choices are
    DRF's), except where DRF's is a plain conversion (`str` for text, `int` for integers); only
    reading the attributes is planned: all at once with one `attrgetter` when every source is
    a single attribute, a related field's primary key read from its `<name>_id`. Sources must be
    attributes or properties, not methods. Serializers whose fields are not all plain (method
    fields, nested serializers, `source="*"`, defaults for missing objects) keep DRF's path.
    """

    _plans: dict[type, Any] = {}
    _list_zone: tzinfo | None = None  # the current time zone, set by PlannedListSerializer for a whole list

    @classmethod
    def _plan(cls):
        if cls not in cls._plans:
            cls._plans[cls] = _make_plan(cls())
        return cls._plans[cls]

    def to_representation(self, instance):
        plan = self._plan()
        if plan is None:
            return super().to_representation(instance)  # type: ignore[misc]  # the serializer's, after this mixin
        read, fields = plan
        data: dict[str, Any] = {}
        zone = self._list_zone
        for (name, represent), value in zip(fields, read(instance), strict=True):
            if value is None:
                data[name] = None
            elif represent is _iso_datetime:
                zone = zone or timezone.get_current_timezone()
                data[name] = _iso_datetime(value, zone)
            else:
                data[name] = represent(value)
        return data


class PlannedListSerializer(serializers.ListSerializer):
    """The list serializer of a PlannedRepresentation (its `Meta.list_serializer_class`): the
    current time zone is looked up once for the list rather than once for each row."""

    def to_representation(self, data):
        child = cast(PlannedRepresentation, self.child)
        child._list_zone = timezone.get_current_timezone()
        try:
            return super().to_representation(data)
        finally:
            child._list_zone = None


def _iso_datetime(value, zone):
    """DRF's ISO 8601 output of an aware datetime in the current time zone, `Z` for UTC; the
    zone is looked up once per object rather than once per field."""
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# DRF fields whose `to_representation` is exactly a conversion by a builtin.
_CONVERSIONS = {serializers.CharField: str, serializers.IntegerField: int}


def _representation(field):
    """The function giving DRF's output of a field's non-null value: the field's own, or a
    shorter path to the same output for the common values of the common fields."""
    kind = type(field)
    if _is_plain_datetime(field):
        return _iso_datetime
    if kind in _CONVERSIONS:
        return _CONVERSIONS[kind]
    if kind is serializers.BooleanField:
        return _boolean(field.to_representation)
    if kind is serializers.DecimalField and _is_plain_decimal(field):
        return _decimal(field.decimal_places, field.max_digits, field.to_representation)
    return field.to_representation


def _boolean(drf):
    """A bool is its own output (DRF finds it among its true or false values)."""
    return lambda value: value if value.__class__ is bool else drf(value)


def _is_plain_decimal(field):
    """A DecimalField with DRF's default output: a string of the value at its decimal places."""
    from rest_framework.settings import api_settings

    return (
        getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
        and not field.localize
        and not field.normalize_output
        and field.decimal_places is not None
        and field.max_digits is not None
    )


def _decimal(places, max_digits, drf):
    """A Decimal already at the field's decimal places and within its digits (as the database
    returns a numeric column) is unchanged by DRF's quantize: its output is its fixed-point text."""

    def represent(value):
        if value.__class__ is Decimal:
            _sign, digits, exponent = value.as_tuple()
            if exponent == -places and len(digits) <= max_digits:
                return f"{value:f}"
        return drf(value)

    return represent


def _make_plan(serializer):
    """(a reader returning every field's value in order, [(name, representation)]) or None."""
    from rest_framework.fields import empty
    from rest_framework.relations import PrimaryKeyRelatedField, RelatedField

    sources, fields = [], []
    for field in serializer._readable_fields:
        if (
            isinstance(field, serializers.BaseSerializer | serializers.SerializerMethodField)
            or field.source == "*"
            or field.default is not empty
        ):
            return None
        if isinstance(field, PrimaryKeyRelatedField) and len(field.source_attrs) == 1:
            sources.append((f"{field.source_attrs[0]}_id",))
            fields.append((field.field_name, _identity))
        elif isinstance(field, RelatedField):
            return None
        else:
            sources.append(tuple(field.source_attrs))
            fields.append((field.field_name, _representation(field)))
    if all(len(attrs) == 1 for attrs in sources):
        read: Callable[[Any], Sequence[Any]] = operator.attrgetter(*(attrs[0] for attrs in sources))
        if len(sources) == 1:
            single = read
            read = lambda instance: (single(instance),)  # noqa: E731
    else:
        getters = [_getter(attrs) for attrs in sources]
        read = lambda instance: [get(instance) for get in getters]  # noqa: E731
    return read, fields


def _is_plain_datetime(field):
    """A DateTimeField with the default ISO 8601 output, in the current time zone, of aware
    values (the portal stores only aware datetimes)."""
    from rest_framework import ISO_8601
    from rest_framework.settings import api_settings

    return (
        type(field) is serializers.DateTimeField
        and settings.USE_TZ
        and getattr(field, "format", api_settings.DATETIME_FORMAT) == ISO_8601
        and not hasattr(field, "timezone")
    )


def _identity(value):
    return value


def _getter(attrs):
    """Reads a dotted source; None when an object on the way is None."""

    def read(instance):
        for name in attrs:
            if instance is None:
                return None
            instance = getattr(instance, name)
        return instance

    return read
