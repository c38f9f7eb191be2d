"""The planned list representation gives exactly what DRF's generic walk over the fields gives.

`tests/portal/test_every_serializer.py` compares every serializer of the portal both ways on the
rows its API serves; here: the common DRF idioms, the shorter paths value by value, the classes
refused, and the DRF code the plan relies on (pinned, so that an upgrade changing it fails)."""

import contextlib
import datetime
import functools
import hashlib
import inspect
import re
import textwrap
import zoneinfo
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone, translation
from rest_framework import fields, relations, serializers

from incidents import selectors
from incidents.api.serializers import CommentOut, IncidentOut
from incidents.models import Incident, IncidentComment, IncidentStatus, Severity
from portal.api.serializers import AgencySerializer, PlannedListSerializer, PlannedRepresentation


def typed(value):
    """A value with the type of everything in it, so that 1 and True, or "1" and Decimal(1), differ."""
    if isinstance(value, dict):
        return ("dict", [(key, typed(item)) for key, item in value.items()])
    if isinstance(value, list | tuple):
        return ("list" if isinstance(value, list) else "tuple", [typed(item) for item in value])
    return (type(value).__name__, value)


def drf(serializer_class, instance, **context):
    """DRF's own walk over the fields of a fresh serializer."""
    return serializers.Serializer.to_representation(serializer_class(context=context), instance)


def planned(serializer_class, instance, *, bound=False, **context):
    """The planned path: from the class's plan, or (`bound`) from the serializer's own fields."""
    serializer = serializer_class(context=context)
    if bound:
        serializer.fields  # noqa: B018  (built: the plan is made from them)
    return PlannedRepresentation.to_representation(serializer, instance)


@pytest.mark.parametrize("zone", ["UTC", "Europe/Vilnius"])
def test_planned_output_equals_drf_output(make_incident, lt_pl_in_force, partner_officer, officer, zone):
    make_incident("validated", has_personal_data=True, person_name="Jonas Jonaitis")
    make_incident("draft", description="Draft with no validation time")
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        for reader in (officer, partner_officer):
            for incident in selectors.incident_search(reader, shared_under=False):
                incident = selectors.redact(incident)
                planned_ = IncidentOut(incident).data
                generic = serializers.ModelSerializer.to_representation(IncidentOut(incident), incident)
                if incident.personal_data_withheld or not incident.has_personal_data:
                    generic.update(dict.fromkeys(("person_name", "person_birth_date"), None))
                    generic.update(dict.fromkeys(("person_nationality", "person_document_number"), None))
                assert typed(planned_) == typed(generic)
                assert planned_["occurred_at"].endswith("Z") == (zone == "UTC")
            rows = [selectors.redact(i) for i in selectors.incident_search(reader, shared_under=False)]
            assert IncidentOut(rows, many=True).data == [IncidentOut(row).data for row in rows]


# --- Common DRF idioms ------------------------------------------------------------------------------


class IdiomsOut(PlannedRepresentation, serializers.ModelSerializer):
    """One field of each common idiom, on an incident."""

    status_label = serializers.CharField(source="get_status_display")
    severity_label = serializers.CharField(source="get_severity_display")
    agency_name = serializers.CharField(source="agency.name")
    agency_country = serializers.CharField(source="agency.country.localized_name")
    handler = serializers.CharField(source="handled_by.code", allow_null=True)
    handler_or_omitted = serializers.CharField(source="handled_by.code", read_only=True)
    summary = serializers.SerializerMethodField()
    agency_detail = AgencySerializer(source="agency")
    comments = CommentOut(many=True)
    severity_choice = serializers.ChoiceField(choices=Severity.choices, source="severity")
    status_enum = serializers.ChoiceField(choices=IncidentStatus.choices, source="status_member")
    latitude_2 = serializers.DecimalField(max_digits=9, decimal_places=2, source="latitude")
    latitude_number = serializers.DecimalField(
        max_digits=9, decimal_places=6, coerce_to_string=False, source="latitude"
    )
    latitude_normal = serializers.DecimalField(max_digits=9, decimal_places=6, normalize_output=True, source="latitude")
    occurred_tokyo = serializers.DateTimeField(source="occurred_at", default_timezone=zoneinfo.ZoneInfo("Asia/Tokyo"))
    occurred_day = serializers.DateTimeField(source="occurred_at", format="%Y-%m-%d")
    occurred_naive = serializers.DateTimeField(source="naive_time")
    occurred_text = serializers.DateTimeField(source="time_as_text")
    extra = serializers.JSONField(source="extra_json")
    tags = serializers.ListField(child=serializers.CharField(), source="tag_list")
    scores = serializers.DictField(child=serializers.IntegerField(), source="score_map")
    reference_as_is = serializers.ReadOnlyField(source="reference")
    hidden = serializers.HiddenField(default="never shown")
    follow_up_text = serializers.PrimaryKeyRelatedField(
        source="follow_up_of", read_only=True, pk_field=serializers.CharField()
    )
    agency_pk = serializers.PrimaryKeyRelatedField(read_only=True, source="agency")
    agency_text = serializers.StringRelatedField(source="agency")
    agency_code = serializers.SlugRelatedField(slug_field="code", read_only=True, source="agency")
    exercise = serializers.BooleanField(source="is_exercise")
    people = serializers.IntegerField(source="people_involved")
    people_text = serializers.CharField(source="people_involved")
    a_number = serializers.IntegerField(source="number_as_text")
    yes_no = serializers.BooleanField(source="yes_as_text")
    method_value = serializers.CharField(source="__str__")
    called_later = serializers.CharField(source="computed_later")

    class Meta:
        model = Incident
        fields = "__all__"

    def get_summary(self, incident):
        return f"{incident.reference} read by {self.context.get('reader', 'nobody')}"


class MissingOut(PlannedRepresentation, serializers.Serializer):
    """Attributes a row may lack: DRF gives the default, None, or leaves the field out."""

    reference = serializers.CharField()
    given_default = serializers.CharField(source="no_such_attribute", default="none given")
    given_null = serializers.IntegerField(source="no_such_number", allow_null=True)
    left_out = serializers.CharField(source="no_such_text", read_only=True)
    first_comment = serializers.CharField(source="comments.first.body", allow_null=True)


def _echo(text):
    return text


def _idiom_rows(make_incident, owner_agency):
    first = make_incident("validated", latitude=Decimal("54.123456"), longitude=Decimal("25.5"))
    second = make_incident("draft", follow_up_of=first, people_involved=3)
    Incident.objects.filter(pk=second.pk).update(handled_by=owner_agency)
    IncidentComment.objects.create(incident=first, author=first.reporter, body="Seen at the crossing")
    rows = []
    for incident in Incident.objects.filter(pk__in=[first.pk, second.pk]).order_by("pk"):
        incident.status_member = IncidentStatus(incident.status)
        incident.naive_time = datetime.datetime(2024, 5, 1, 12, 30)  # noqa: DTZ001  (DRF makes it aware)
        incident.time_as_text = "2024-05-01T12:30:00Z"
        incident.extra_json = {"a": [1, 2.5, None], "b": "text"}
        incident.tag_list = ["one", 2]
        incident.score_map = {"x": "3", "y": 4}
        incident.number_as_text = "42"
        incident.yes_as_text = "yes"
        incident.computed_later = functools.partial(_echo, "called")  # an attribute DRF calls
        rows.append(incident)
    return rows


@contextlib.contextmanager
def planned_only(serializer_class):
    """Fails if DRF's walk serves `serializer_class` (its nested serializers may use it)."""
    walk = serializers.Serializer.to_representation

    def to_representation(self, instance):
        assert type(self) is not serializer_class, "DRF's walk served the row, not the plan"
        return walk(self, instance)

    with mock.patch.object(serializers.Serializer, "to_representation", to_representation):
        yield


@pytest.mark.parametrize("zone", ["UTC", "Europe/Vilnius"])
@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_common_idiom_gives_drfs_output(make_incident, owner_agency, zone, language):
    rows = _idiom_rows(make_incident, owner_agency)
    with timezone.override(zoneinfo.ZoneInfo(zone)), translation.override(language):
        with planned_only(IdiomsOut):
            for incident in rows:
                planned(IdiomsOut, incident, reader="lt.officer")
                IdiomsOut(incident).data  # noqa: B018
        for incident in rows:
            expected = drf(IdiomsOut, incident, reader="lt.officer")
            assert typed(planned(IdiomsOut, incident, reader="lt.officer")) == typed(expected)
            assert typed(planned(IdiomsOut, incident, bound=True, reader="lt.officer")) == typed(expected)
            assert typed(IdiomsOut(incident, context={"reader": "lt.officer"}).data) == typed(expected)
        listed = IdiomsOut(rows, many=True, context={"reader": "lt.officer"}).data
        assert typed(listed) == typed([drf(IdiomsOut, row, reader="lt.officer") for row in rows])


def test_idioms_read_what_drf_reads(make_incident, owner_agency):
    first, second = _idiom_rows(make_incident, owner_agency)
    data = IdiomsOut(first, context={"reader": "lt.officer"}).data
    # A method source is called: the label, not a bound method.
    assert data["status_label"] == "Validated" and data["severity_label"] == "Medium"
    assert data["method_value"] == first.reference and data["called_later"] == "called"
    assert data["agency_name"] == owner_agency.name and data["agency_detail"]["code"] == owner_agency.code
    assert data["summary"] == f"{first.reference} read by lt.officer"  # the serializer's own context
    assert data["handler"] is None and "handler_or_omitted" not in data
    assert "hidden" not in data
    assert data["latitude_2"] == "54.12" and data["latitude_number"] == Decimal("54.123456")
    assert data["occurred_tokyo"].endswith("+09:00") and data["a_number"] == 42 and data["yes_no"] is True
    assert data["status_enum"] == "validated" and data["people_text"] == "0"
    with translation.override("fr"):
        assert IdiomsOut(first).data["status_label"] == "Validé"
    later = IdiomsOut(second).data
    assert later["follow_up_text"] == str(first.pk) and later["handler_or_omitted"] == owner_agency.code


def test_a_row_missing_an_attribute_or_a_mapping_takes_drfs_walk(make_incident, owner_agency):
    first, second = _idiom_rows(make_incident, owner_agency)
    for incident in (first, second):
        assert typed(planned(MissingOut, incident)) == typed(drf(MissingOut, incident))
    assert planned(MissingOut, first) == {
        "reference": first.reference,
        "given_default": "none given",
        "given_null": None,
        "first_comment": "Seen at the crossing",
    }
    assert planned(MissingOut, second)["first_comment"] is None
    incident = first
    del incident.tag_list  # the planned read fails: DRF's walk applies the field's rules
    with pytest.raises(AttributeError):
        planned(IdiomsOut, incident)
    with pytest.raises(AttributeError):
        drf(IdiomsOut, incident)

    class FromMapping(PlannedRepresentation, serializers.Serializer):
        keys = serializers.CharField()  # a dict has a `keys` method: DRF reads the key
        value = serializers.IntegerField(default=7)

    for row in ({"keys": "k", "value": 1}, {"keys": "k"}):
        assert typed(planned(FromMapping, row)) == typed(drf(FromMapping, row))
    assert planned(FromMapping, {"keys": "k"}) == {"keys": "k", "value": 7}


def test_a_serializer_whose_fields_were_changed_is_planned_from_its_own(make_incident, owner_agency):
    incident = _idiom_rows(make_incident, owner_agency)[0]
    serializer = IdiomsOut(incident)
    del serializer.fields["status_label"]
    assert "status_label" not in serializer.data and "severity_label" in serializer.data


# --- Classes refused ------------------------------------------------------------------------------


def test_classes_the_plan_cannot_serve_are_refused_when_defined():
    class Representing(serializers.Serializer):
        def to_representation(self, instance):
            return {"shape": "its own"}

    with pytest.raises(ImproperlyConfigured, match=r"Representing\.to_representation would be skipped"):
        type("Skipping", (PlannedRepresentation, Representing), {})
    with pytest.raises(ImproperlyConfigured, match="must come before DRF's Serializer"):
        type("After", (serializers.Serializer, PlannedRepresentation), {})
    with pytest.raises(ImproperlyConfigured, match="mixin of DRF serializers"):
        type("NotASerializer", (PlannedRepresentation,), {})
    for hook in ("__init__", "get_fields", "build_field", "get_field_names"):
        with pytest.raises(ImproperlyConfigured, match=rf"Dynamic\.{hook} may change the fields"):
            type("Dynamic", (PlannedRepresentation, serializers.ModelSerializer), {hook: lambda self, *a, **k: None})
    # A method field, a nested serializer or a mixin's own methods are fine.
    type("Fine", (PlannedRepresentation, serializers.Serializer), {"get_x": lambda self, obj: 1})


# --- The shorter paths, value by value ---------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "values"),
    [
        (
            serializers.DecimalField(max_digits=9, decimal_places=6),
            [
                Decimal("54.123456"),
                Decimal("-23.000001"),
                Decimal("0.000000"),
                Decimal("-0.000000"),
                Decimal("54.1"),
                Decimal("54.1234567"),
                Decimal("1E+2"),
                Decimal("999.999999"),
                12.5,
                "7.25",
            ],
        ),
        (serializers.DecimalField(max_digits=4, decimal_places=2, coerce_to_string=False), [Decimal("1.25")]),
        (serializers.DecimalField(max_digits=5, decimal_places=2, normalize_output=True), [Decimal("1.50")]),
        (serializers.BooleanField(), [True, False, 1, 0, "true", "False", "yes"]),
        (serializers.CharField(), ["text", "", 12]),
        (serializers.IntegerField(), [0, 7, -3, "12", 4.0]),
        (serializers.BigIntegerField(), [0, 2**62, "5"]),
        (serializers.BigIntegerField(coerce_to_string=True), [0, 2**62]),
        (
            serializers.ChoiceField(choices=[("a", "A"), (1, "One"), ("", "None"), ("low", "Low")]),
            ["a", "1", 1, "", "zz", Severity.LOW, IncidentStatus.DRAFT],
        ),
        (serializers.ChoiceField(choices=Severity.choices), ["low", "high", "unknown"]),
    ],
)
def test_shorter_paths_give_drfs_output_for_every_value(field, values):
    from portal.api.serializers import _representation

    for value in values:
        expected = field.to_representation(value)
        got = _representation(field)(value)
        assert got == expected and type(got) is type(expected), (value, got, expected)


@pytest.mark.parametrize("zone", ["UTC", "Europe/Vilnius", "America/St_Johns"])
def test_the_datetime_path_gives_drfs_output_for_every_value(zone):
    from portal.api.serializers import _iso_datetime, _representation

    field = serializers.DateTimeField()
    assert _representation(field) is _iso_datetime
    utc = datetime.UTC
    values = [
        datetime.datetime(2024, 3, 31, 0, 30, tzinfo=utc),
        datetime.datetime(2024, 10, 27, 0, 59, 59, 999999, tzinfo=utc),
        datetime.datetime(2024, 1, 1, 12, tzinfo=datetime.timezone(datetime.timedelta(hours=5, minutes=30))),
        datetime.datetime(2024, 7, 1, 12, tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo")),
        datetime.datetime(2024, 7, 1, 12),  # noqa: DTZ001  (naive: DRF makes it aware in the zone)
        datetime.datetime(9999, 12, 31, 23, tzinfo=utc),
        "2024-01-01T00:00:00Z",
    ]
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        for value in values:
            try:
                expected = field.to_representation(value)
            except serializers.ValidationError:
                with pytest.raises(serializers.ValidationError):
                    _iso_datetime(field, value, timezone.get_current_timezone())
                continue
            assert _iso_datetime(field, value, timezone.get_current_timezone()) == expected, value
    for configured in (
        serializers.DateTimeField(format="%Y"),
        serializers.DateTimeField(default_timezone=datetime.UTC),
        type("Own", (serializers.DateTimeField,), {})(),
    ):
        assert _representation(configured) is not _iso_datetime


def test_planned_list_serializer_is_the_list_of_incidents():
    assert IncidentOut.Meta.list_serializer_class is PlannedListSerializer
    assert isinstance(IncidentOut([], many=True), PlannedListSerializer)


# --- The DRF code the plan relies on -------------------------------------------------------------

# Digests of the DRF code `portal.api.serializers` reproduces or relies on (djangorestframework
# 3.18). A digest that no longer matches means DRF changed that code: read the new code, make
# PlannedRepresentation give what it gives (and its tests show it), then record the new digest.
DRF_CODE = {
    "serializers.Serializer.to_representation": "47ecd646b4b68c94",
    "serializers.Serializer._readable_fields": "1eaecbb3bb21e984",
    "serializers.ListSerializer.to_representation": "6852e896fdcc646a",
    "fields.get_attribute": "317c25d7087ede4d",
    "fields.Field.get_attribute": "a03396a826d9482c",
    "fields.Field.get_default": "1b20b11230e82728",
    "relations.RelatedField.get_attribute": "31c4c65130f10025",
    "relations.PrimaryKeyRelatedField.use_pk_only_optimization": "3c05992c05c8bddd",
    "relations.PrimaryKeyRelatedField.to_representation": "e3a7a0f07eb20df6",
    "fields.CharField.to_representation": "2b5ef50a53edcf00",
    "fields.IntegerField.to_representation": "331ca9dbd4af4f06",
    "fields.BigIntegerField.to_representation": "d11e22bb66f91213",
    "fields.BooleanField.to_representation": "390604fc55365d60",
    "fields.ChoiceField.to_representation": "d13234636d893759",
    "fields.DecimalField.to_representation": "1d0b04e60d3e0f41",
    "fields.DecimalField.quantize": "bddc46a43895c9f3",
    "fields.DateTimeField.to_representation": "b125ea6f778dea98",
    "fields.DateTimeField.enforce_timezone": "8d0f412934ad080f",
    "fields.DateTimeField.default_timezone": "722fffc5b3f84617",
}


def _code_digest(name):
    namespace = {"fields": fields, "relations": relations, "serializers": serializers}
    obj = eval(name, namespace)  # noqa: S307  (names of the table above)
    if isinstance(obj, property):
        obj = obj.fget
    return hashlib.sha256(textwrap.dedent(inspect.getsource(obj)).encode()).hexdigest()[:16]


def test_the_drf_code_the_plan_relies_on_is_unchanged():
    changed = {name: _code_digest(name) for name, digest in DRF_CODE.items() if _code_digest(name) != digest}
    assert not changed, (
        f"DRF changed {sorted(changed)}: check PlannedRepresentation against the new code, "
        f"then record the new digests {changed}"
    )


def test_drfs_readable_fields_are_its_fields_less_the_write_only_ones():
    serializer = IdiomsOut()
    readable = [field for field in serializer.fields.values() if not field.write_only]
    assert list(serializer._readable_fields) == readable
    assert "hidden" in serializer.fields and "hidden" not in {field.field_name for field in readable}


def test_context_free_fields_never_read_the_serializer():
    """The fields a class's plan shares between serializers: their output must depend on the
    value alone (DRF's `to_representation` of them reads no context, parent or root)."""
    from portal.api.serializers import _CONTEXT_FREE

    for kind in _CONTEXT_FREE:
        for klass in kind.__mro__:
            if "to_representation" in vars(klass):
                code = inspect.getsource(klass.to_representation)
                assert not re.search(r"self\.(_?context|parent|root)\b", code), klass
                break
        own = (fields.Field.get_attribute, relations.RelatedField.get_attribute, fields.ModelField.get_attribute)
        assert kind.get_attribute in own, kind
