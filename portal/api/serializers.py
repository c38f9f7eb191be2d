"""Output serializers of the shared core's API."""

import functools
import inspect
import operator
import sys
import types
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, tzinfo
from datetime import timezone as dt_timezone
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ObjectDoesNotExist
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver
from django.utils import timezone
from rest_framework import serializers
from rest_framework.fields import SkipField, empty
from rest_framework.relations import PKOnlyObject

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
    """A serializer mixin for lists: the same output as DRF's `Serializer.to_representation`,
    without building the serializer's fields for each list and with the attributes of a row read
    in one go. Building an incident list's fields (a ModelSerializer builds them from the model
    for every serializer instance) and DRF's walk over them cost 3.4 ms a 50-row page; planned,
    0.7 ms.

    The fields are built once per serializer class, from an instance made without arguments (so
    a class whose fields could depend on how it is built is refused, below); a serializer
    whose `fields` were already built (and perhaps changed) is planned from its own. DRF's walk
    reads each readable field's value (`field.get_attribute`), gives None for None and the
    field's `to_representation` of anything else. The plan, per kind of object read, does the
    same:

    - a field whose value DRF reads with `Field.get_attribute` from a single attribute (any
      field class not overriding it, `source` without dots and not `*`) is read with every
      other such field by one `attrgetter`; a value DRF would call (`callable()`) is read again
      by DRF's `get_attribute`, which calls it; anything else is given to the field's own
      `to_representation`, or to a shorter path to the same output for the commonest values of
      the commonest fields (`_representation`);
    - a `PrimaryKeyRelatedField` of a model's foreign key is read from its `<name>_id`, as DRF
      reads it (`Model.serializable_value`);
    - every other field (method fields, nested and `many=True` serializers, related fields,
      `source="*"`, dotted sources, methods of the model such as `get_status_display`) goes
      through DRF's own steps for one field: `field.get_attribute`, then `to_representation`.

    Fields of the class's one instance stand for the serializer's own only where their output
    cannot depend on the serializer (DRF's field classes in `_CONTEXT_FREE`, without a
    `default`, which reads the root's `partial`); for any other field (method fields, nested
    serializers, hyperlinks, files, the portal's own field classes) the serializer's own
    `fields` are built and used, as DRF would.

    A row whose attributes cannot all be read (a missing attribute, a missing related object:
    DRF then applies `default`, `allow_null` or skips the field) and any mapping (DRF reads
    keys, not attributes) are given to DRF's walk whole, their attributes read again. Plans
    follow the settings they read (`USE_TZ`, `REST_FRAMEWORK`) when a test changes them.

    The readable fields are DRF's public `fields` less the `write_only` ones (what its private
    `_readable_fields` yields, checked for every serializer). The plan follows DRF's code rather
    than calling it, so that code is pinned: `tests/portal/test_every_serializer.py` checks the
    output of every serializer of the portal, with and without the mixin, against DRF's walk on
    the rows the API serves, `tests/portal/test_api_serializers.py` the common DRF idioms, and
    a digest of each piece of DRF code relied on, so that a DRF upgrade changing any fails there.

    Refused when the class is defined (`ImproperlyConfigured`): the mixin after DRF's
    `Serializer` in the bases, a class between them with its own `to_representation` (it would
    be skipped), and a class overriding how the fields are built (`__init__`, `get_fields`,
    `build_field`... `_FIELD_HOOKS`).
    """

    _list_zone: tzinfo | None = None  # the current time zone, set by PlannedListSerializer for a whole list

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _check_class(cls)

    def to_representation(self, instance):
        plan = self.__dict__.get("_planned")
        if plan is None:
            plan = self.__dict__["_planned"] = _plan_of(cast(serializers.Serializer, self))
        kind = instance.__class__
        row = plan.rows.get(kind, _UNPLANNED)
        if row is _UNPLANNED:
            row = plan.rows[kind] = plan.for_class(kind)
        if row is None:
            return super().to_representation(instance)  # type: ignore[misc]  # the serializer's, after this mixin
        read, entries, every = row
        try:
            values = read(instance)
        except (AttributeError, KeyError, ObjectDoesNotExist):
            return super().to_representation(instance)  # type: ignore[misc]
        data: dict[str, Any] = {}
        zone = self._list_zone
        if every is not None:  # every field is read by `read`, in order (a shorter loop for the common case)
            for (name, represent, zoned, own), value in zip(every, values, strict=True):
                if value.__class__ in _DATA or not (value is None or callable(value)):
                    if zoned:
                        zone = zone or timezone.get_current_timezone()
                        data[name] = represent(value, zone)
                    else:
                        data[name] = represent(value)
                elif value is None:
                    data[name] = None
                else:
                    self._represent_field(data, instance, name, own)
            return data
        for name, field, index, represent, zoned in entries:
            if index is not None:
                value = values[index]
                if value is None:
                    data[name] = None
                    continue
                if value.__class__ in _DATA or not callable(value):
                    if zoned:
                        zone = zone or timezone.get_current_timezone()
                        data[name] = represent(value, zone)
                    else:
                        data[name] = represent(value)
                    continue
            self._represent_field(data, instance, name, field)
        return data

    def _represent_field(self, data, instance, name, field):
        """DRF's own steps for one field (in `Serializer.to_representation`); `field` None for
        the serializer's own."""
        if field is None:
            field = self.fields[name]  # type: ignore[attr-defined]
        try:
            attribute = field.get_attribute(instance)
        except SkipField:
            return
        check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
        data[name] = None if check_for_none is None else field.to_representation(attribute)


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


# What decides which fields a serializer has and how they are built: the plan of a class is made
# from one instance built without arguments, so a class must leave these to DRF.
_FIELD_HOOKS = frozenset(
    {
        "__new__",
        "__init__",
        "fields",
        "_readable_fields",
        "get_fields",
        "get_field_names",
        "get_default_field_names",
        "get_extra_kwargs",
        "include_extra_kwargs",
        "get_uniqueness_extra_kwargs",
        "build_field",
        "build_standard_field",
        "build_relational_field",
        "build_nested_field",
        "build_property_field",
        "build_url_field",
        "build_unknown_field",
        "serializer_field_mapping",
        "serializer_related_field",
        "serializer_related_to_field",
        "serializer_url_field",
        "serializer_choice_field",
        "url_field_name",
    }
)


def _check_class(cls):
    """Refuses a class the plan would not serve as DRF does."""
    mro = cls.__mro__
    if serializers.Serializer not in mro:
        raise ImproperlyConfigured(f"{cls.__qualname__}: PlannedRepresentation is a mixin of DRF serializers.")
    mine, drf = mro.index(PlannedRepresentation), mro.index(serializers.Serializer)
    if mine > drf:
        raise ImproperlyConfigured(
            f"{cls.__qualname__}: PlannedRepresentation must come before DRF's Serializer in the bases."
        )
    for between in mro[mine + 1 : drf]:
        if "to_representation" in vars(between):
            raise ImproperlyConfigured(
                f"{cls.__qualname__}: {between.__qualname__}.to_representation would be skipped by "
                "PlannedRepresentation; put the mixin after it."
            )
    for klass in mro[:drf]:
        if klass is PlannedRepresentation or _is_drfs(klass):
            continue
        hooks = sorted(_FIELD_HOOKS.intersection(vars(klass)))
        if hooks:
            raise ImproperlyConfigured(
                f"{cls.__qualname__}: {klass.__qualname__}.{hooks[0]} may change the fields of each "
                "instance, which PlannedRepresentation plans once per class."
            )


def _is_drfs(klass):
    """One of DRF's own classes (ModelSerializer...), not one a caller made."""
    module = klass.__module__
    return module.startswith("rest_framework.") and vars(sys.modules[module]).get(klass.__name__) is klass


_UNPLANNED = object()
# Classes of values DRF's `get_attribute` never calls (the commonest; any other is asked `callable`).
_DATA = frozenset({str, int, bool, Decimal, datetime})
_CLASS_PLANS: dict[type, "_Plan"] = {}


def _plan_of(serializer):
    """The plan of a serializer: its class's, unless its own fields were built already."""
    if "fields" in serializer.__dict__:  # `fields` is a cached property: built, maybe changed
        return _Plan(serializer.fields, bound=True)
    kind = type(serializer)
    plan = _CLASS_PLANS.get(kind)
    if plan is None:
        plan = _CLASS_PLANS[kind] = _Plan(kind().fields, bound=False)
    return plan


@receiver(setting_changed)
def _forget_plans(*, setting, **kwargs):
    if setting in {"USE_TZ", "REST_FRAMEWORK"}:
        _CLASS_PLANS.clear()


def _context_free_kinds():
    from rest_framework import fields, relations

    return frozenset(
        {
            fields.BooleanField,
            fields.CharField,
            fields.EmailField,
            fields.RegexField,
            fields.SlugField,
            fields.URLField,
            fields.UUIDField,
            fields.IPAddressField,
            fields.IntegerField,
            fields.BigIntegerField,  # type: ignore[attr-defined]  # DRF 3.15's, not in the stubs
            fields.FloatField,
            fields.DecimalField,
            fields.DateTimeField,
            fields.DateField,
            fields.TimeField,
            fields.DurationField,
            fields.ChoiceField,
            fields.MultipleChoiceField,
            fields.FilePathField,
            fields.ReadOnlyField,
            fields.JSONField,
            fields.ModelField,
            type(fields.ListField().child),  # the child of a ListField or DictField given none
            relations.StringRelatedField,
            relations.SlugRelatedField,
        }
    )


# DRF's field classes whose output depends on the value alone, never on the serializer they are
# bound to (its context, request, parent or root).
_CONTEXT_FREE = _context_free_kinds()


def _context_free(field):
    from rest_framework.relations import PrimaryKeyRelatedField

    kind = type(field)
    if kind in (serializers.ListField, serializers.DictField, serializers.HStoreField):
        return _context_free(field.child)
    if kind is PrimaryKeyRelatedField:
        return field.pk_field is None or _context_free(field.pk_field)
    return kind in _CONTEXT_FREE


class _Plan:
    """The readable fields of a serializer and, per kind of object, how to read them. `bound`:
    the fields are the serializer's own rather than those of its class's one instance."""

    def __init__(self, fields, *, bound):
        self.fields = [field for field in fields.values() if not field.write_only]
        self.bound = bound
        self.rows: dict[type, Any] = {}

    def for_class(self, kind):
        """(a reader of the planned attributes, [(name, field or None for the serializer's own,
        index in what the reader gives or None, representation, whether the representation
        takes the time zone too)], the same without the fields and indexes when the reader reads
        every field), or None for DRF's walk."""
        if issubclass(kind, Mapping):
            return None
        sources: list[str] = []
        entries: list[tuple[str, Any, int | None, Any, bool]] = []
        for field in self.fields:
            free = self.bound or _context_free(field)
            attribute, represent = _read_plan(field, kind) if free else (None, None)
            own = field if self.bound or (free and field.default is empty) else None
            if attribute is None:
                entries.append((field.field_name, own, None, None, False))
            elif represent is _iso_datetime:
                entries.append((field.field_name, own, len(sources), functools.partial(_iso_datetime, field), True))
                sources.append(attribute)
            else:
                entries.append((field.field_name, own, len(sources), represent, False))
                sources.append(attribute)
        if not sources:
            return None
        every = None
        if len(sources) == len(entries):
            every = [(name, represent, zoned, own) for name, own, _, represent, zoned in entries]
        read: Callable[[Any], Sequence[Any]] = operator.attrgetter(*sources)
        if len(sources) == 1:
            single = read
            read = lambda instance: (single(instance),)  # noqa: E731
        return read, entries, every


def _read_plan(field, kind):
    """(the attribute of a `kind` object DRF reads for `field`, the representation of its
    value), or (None, None) when the field takes DRF's own steps."""
    from rest_framework.relations import PrimaryKeyRelatedField

    source = field.source
    if not source or source == "*" or "." in source:
        return None, None
    if type(field) is PrimaryKeyRelatedField:
        # RelatedField.get_attribute: `instance.serializable_value(source)`, the attname of a
        # model field; its `pk` if it has one.
        if field.pk_field is not None or not issubclass(kind, models.Model):
            return None, None
        if kind.serializable_value is not models.Model.serializable_value:
            return None, None
        try:
            target = kind._meta.get_field(source)
        except FieldDoesNotExist:
            return None, None
        if not (target.concrete and (target.many_to_one or target.one_to_one)):
            return None, None
        return target.attname, _pk
    if type(field).get_attribute is not serializers.Field.get_attribute:
        return None, None
    if isinstance(inspect.getattr_static(kind, source, None), _ROUTINES):
        return None, None  # a method: DRF calls it
    return source, _representation(field)


_ROUTINES = (types.FunctionType, types.BuiltinFunctionType, functools.partialmethod, staticmethod, classmethod)


def _pk(value):
    return getattr(value, "pk", value)


_ZONES = frozenset({dt_timezone, zoneinfo.ZoneInfo})  # always an offset: aware, as DRF's `is_aware` checks


def _iso_datetime(field, value, zone):
    """DRF's ISO 8601 output of an aware datetime in the current time zone (`zone`, looked up
    once per list rather than once per value), `Z` for UTC; DRF's own for anything else."""
    if value.__class__ is datetime and (value.tzinfo.__class__ in _ZONES or value.utcoffset() is not None):
        try:
            text = value.astimezone(zone).isoformat()
        except OverflowError:
            return field.to_representation(value)
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    return field.to_representation(value)


# DRF fields whose `to_representation` is exactly a conversion by a builtin.
_CONVERSIONS = {serializers.CharField: str, serializers.IntegerField: int}


def _representation(field):
    """The function giving DRF's output of a field's non-null value: the field's own, or a
    shorter path to the same output for the common values of the common fields
    (`_iso_datetime` takes the field and the time zone as well)."""
    kind = type(field)
    if _is_plain_datetime(field):
        return _iso_datetime
    if kind in _CONVERSIONS:
        return _CONVERSIONS[kind]
    if kind is serializers.BigIntegerField:  # type: ignore[attr-defined]  # DRF 3.15's, not in the stubs
        from rest_framework.settings import api_settings

        return str if getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING) else int
    if kind is serializers.BooleanField:
        return _boolean(field.to_representation)
    if kind is serializers.ChoiceField:
        return _choice(field)
    if kind is serializers.DecimalField and _is_plain_decimal(field):
        return _decimal(field.decimal_places, field.max_digits, field.to_representation)
    return field.to_representation


def _boolean(drf):
    """A bool is its own output (DRF finds it among its true or false values)."""
    return lambda value: value if value.__class__ is bool else drf(value)


def _choice(field):
    """A non-empty str is looked up among the choices as DRF does (`str` of it is itself)."""
    drf = field.to_representation

    def represent(value):
        if value.__class__ is str and value:
            return field.choice_strings_to_values.get(value, value)
        return drf(value)

    return represent


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


def _is_plain_datetime(field):
    """A DateTimeField with the default ISO 8601 output in the current time zone."""
    from rest_framework import ISO_8601
    from rest_framework.settings import api_settings

    return (
        type(field) is serializers.DateTimeField
        and settings.USE_TZ
        and getattr(field, "format", api_settings.DATETIME_FORMAT) == ISO_8601
        and not hasattr(field, "timezone")
    )
