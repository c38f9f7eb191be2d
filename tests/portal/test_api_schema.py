"""The OpenAPI schema is valid, says null wherever an answer can hold one, and documents the
answers of the shared core (who am I, the directory, missing credentials, bad page numbers)."""

import importlib
import inspect
import typing
from pathlib import Path

import pytest
from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.drainage import GENERATOR_STATS, get_override, has_override
from drf_spectacular.generators import SchemaGenerator
from openapi_spec_validator import validate as validate_openapi
from rest_framework import serializers
from rest_framework.relations import ManyRelatedField

from agreements.models import AgreementDocument, AgreementParty, Dispute
from alerts.models import Alert, AlertAcknowledgement
from incidents.models import ShareGrant
from portal.models import APIScope
from portal.testing import make_verified
from tests.factories import UserFactory
from tests.openapi import assert_documented, documented_response, generated, openapi_schema
from training.models import (
    AfterActionReport,
    Asset,
    ExerciseParticipant,
    Indicator,
    Measurement,
    Objective,
    Observation,
    PatrolParticipant,
    PatrolReport,
    Trainee,
)

ROOT = Path(__file__).resolve().parents[2]

# The objects that output serializers which are not ModelSerializers read, to follow their
# sources through nullable relations.
MODELS = {
    "AckOut": AlertAcknowledgement,
    "AfterActionOut": AfterActionReport,
    "AlertOut": Alert,
    "AssetOut": Asset,
    "DisputeOut": Dispute,
    "DocumentOut": AgreementDocument,
    "GrantOut": ShareGrant,
    "IndicatorOut": Indicator,
    "MeasurementOut": Measurement,
    "ObjectiveOut": Objective,
    "ObservationOut": Observation,
    "ParticipantOut": ExerciseParticipant,
    "PartyOut": AgreementParty,
    "PatrolParticipantOut": PatrolParticipant,
    "PatrolReportOut": PatrolReport,
    "PreviewGrantOut": ShareGrant,
    "TraineeOut": Trainee,
}
# Output serializers of dictionaries or plain objects: their nulls are the fields' allow_null,
# checked against real answers in the tests of each app.
NOT_MODELS = {"AlertPageOut", "ErrorBodyOut", "ErrorOut", "PreviewAlertOut", "PreviewOut", "PrincipalSerializer"}
# Serializers that are query parameters, not bodies (no component of their own).
PARAMETERS = {"AlertFilterIn", "ExerciseFilterIn", "IncidentFilterIn", "ListFilterIn", "PreviewIn", "ProgrammeFilterIn"}


def api_serializer_classes():
    """Every serializer class defined in */api/serializers.py and portal/api/."""
    names = {f"{path.parent.parent.name}.api.serializers" for path in ROOT.glob("*/api/serializers.py")}
    names |= {f"portal.api.{path.stem}" for path in (ROOT / "portal" / "api").glob("*.py")}
    found = {}
    for name in sorted(names):
        module = importlib.import_module(name)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, serializers.BaseSerializer)
                and not issubclass(value, serializers.ListSerializer)
                and value.__module__ == name
            ):
                found[f"{name}.{value.__name__}"] = value
    return found


def model_of(serializer):
    meta = getattr(serializer, "Meta", None)
    return getattr(meta, "model", None) or MODELS.get(type(serializer).__name__)


def source_can_be_null(model, attrs):
    """Whether following `attrs` from a `model` instance can meet None: a nullable column or
    foreign key on the way, or a reverse one-to-one that may be missing (DRF gives None)."""
    for attr in attrs:
        try:
            field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            return False  # a property or an annotation: what it gives is the serializer's to say
        if field.null or (field.one_to_one and not field.concrete):
            return True
        if not field.is_relation:
            return False
        model = field.related_model
    return False


def method_can_return_none(serializer, field):
    method = getattr(serializer, field.method_name)
    if has_override(method, "field"):
        override = get_override(method, "field")
        return bool(getattr(override, "allow_null", False))
    hints = typing.get_type_hints(method)
    assert "return" in hints, f"{type(serializer).__name__}.{field.method_name} declares no type for the schema"
    returned = hints["return"]
    return returned is type(None) or type(None) in typing.get_args(returned)


def can_be_null(serializer, field):
    if field.allow_null:
        return True
    if isinstance(field, serializers.SerializerMethodField):
        return method_can_return_none(serializer, field)
    if isinstance(field, serializers.ListSerializer | ManyRelatedField | serializers.ListField):
        return False
    model = model_of(serializer)
    if model is None or field.source == "*":
        return False
    return source_can_be_null(model, field.source_attrs)


def says_null(schema):
    kind = schema.get("type")
    return schema.get("nullable") is True or (isinstance(kind, list) and "null" in kind)


def test_the_schema_is_valid_openapi():
    validate_openapi(openapi_schema())


def test_the_schema_generates_without_warnings_or_errors():
    GENERATOR_STATS.reset()
    SchemaGenerator().get_schema(request=None, public=True)
    assert not GENERATOR_STATS._warn_cache, list(GENERATOR_STATS._warn_cache)
    assert not GENERATOR_STATS._error_cache, list(GENERATOR_STATS._error_cache)


def test_every_serializer_of_the_api_is_in_the_schema_and_known_here():
    _schema, generator = generated()
    documented = {
        type(component.object) if not inspect.isclass(component.object) else component.object
        for component in generator.registry._components.values()
    }
    for path, cls in api_serializer_classes().items():
        name = cls.__name__
        if name in PARAMETERS:
            continue
        assert cls in documented, f"{path} is in no answer or request of the schema"
        if not name.endswith("In") and not issubclass(cls, serializers.ModelSerializer):
            assert name in MODELS or name in NOT_MODELS, f"say in MODELS or NOT_MODELS what {path} reads"


def test_every_field_that_can_be_null_is_nullable_in_the_schema():
    schema, generator = generated()
    missing = []
    for (name, kind), component in generator.registry._components.items():
        if kind != "schemas" or not isinstance(component.object, serializers.BaseSerializer):
            continue
        serializer = component.object
        properties = schema["components"]["schemas"][name].get("properties", {})
        for field_name, field in serializer.fields.items():
            if field_name in properties and can_be_null(serializer, field) and not says_null(properties[field_name]):
                missing.append(f"{name}.{field_name}")
    assert not missing, "can be null, but the schema does not say so: " + ", ".join(sorted(missing))


def test_every_operation_that_needs_a_key_documents_401():
    for path, item in openapi_schema()["paths"].items():
        for method, operation in item.items():
            assert "401" in operation["responses"], f"{method.upper()} {path}"


@pytest.mark.parametrize("header", [None, "Api-Key nope", "Api-Key abc.def"])
def test_missing_or_invalid_key_answers_401_as_documented(client, db, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    for path in ("/api/v1/me/", "/api/v1/incidents/", "/api/v1/alerts/", "/api/v1/agreements/1/"):
        response = client.get(path, **extra)
        assert response.status_code == 401
        assert assert_documented(response)["error"]["status"] == 401


def test_me_answers_as_documented_for_a_key_and_for_a_person(client, api_key, officer):
    _key, raw = api_key(scopes=[APIScope.ALERTS_READ])
    me = assert_documented(client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Api-Key {raw}"))
    assert me["kind"] == "api_key" and me["agency"]["code"] == "LT-SBGS"
    me = assert_documented(make_verified(client, officer).get("/api/v1/me/"))
    assert me["kind"] == "user" and me["country"] == "LT"


def test_me_of_a_person_of_no_agency_has_null_agency_and_country(client, db):
    person = UserFactory(username="auditor", agency=None, is_officer=False)
    me = assert_documented(make_verified(client, person).get("/api/v1/me/"))
    assert me["agency"] is None and me["country"] is None


def test_directory_lists_answer_as_documented(client, api_key):
    _key, raw = api_key(scopes=[APIScope.ALERTS_READ])
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}
    countries = assert_documented(client.get("/api/v1/countries/", {"page_size": 5}, **headers))
    assert len(countries["results"]) == 5 and countries["next"] and countries["previous"] is None
    agencies = assert_documented(client.get("/api/v1/agencies/", {"country": "lt"}, **headers))
    assert [a["code"] for a in agencies["results"]] == ["LT-SBGS"]


@pytest.mark.parametrize("page", ["abc", "0", "999"])
def test_a_page_that_does_not_exist_is_invalid_input_as_documented(client, api_key, page):
    _key, raw = api_key(scopes=[APIScope.ALERTS_READ])
    for path in ("/api/v1/countries/", "/api/v1/agencies/"):
        response = client.get(path, {"page": page}, HTTP_AUTHORIZATION=f"Api-Key {raw}")
        assert response.status_code == 400
        assert list(assert_documented(response)["error"]["fields"]) == ["page"]
    assert "page" in documented_response("/api/v1/countries/", "get", 400)["description"]
