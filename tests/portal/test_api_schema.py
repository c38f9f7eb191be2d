"""The OpenAPI schema is valid, says null wherever an answer can hold one (as OpenAPI 3.1 does),
documents the answers of the shared core (who am I, the directory, missing credentials, bad page
numbers), and every GET it documents answers as documented with real data."""

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
from exchange.models import AnswerAttachment, InformationRequest, RequestExtension, RequestIdentifier
from incidents.models import ShareGrant
from portal.models import APIScope
from portal.testing import make_verified
from tests.factories import UserFactory
from tests.openapi import assert_documented, documented_response, generated, openapi_schema, says_null, template_of
from tests.test_every_route import (  # the world of the route walk, built once for this module
    OWNER,
    PARTNER,
    QUERIES,
    _module_world,  # noqa: F401  (a fixture: the world, built once for the module)
    _serves_get,
    fillings,
    routes,
    send,
    sign_in,
)
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
    "AnswerAttachmentOut": AnswerAttachment,
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
    "RequestDetailOut": InformationRequest,
    "RequestExtensionOut": RequestExtension,
    "RequestIdentifierOut": RequestIdentifier,
    "RequestOut": InformationRequest,
    "TraineeOut": Trainee,
}
# Output serializers of dictionaries or plain objects: their nulls are the fields' allow_null,
# checked against real answers in the tests of each app.
NOT_MODELS = {
    "AlertPageOut",
    "ErrorBodyOut",
    "ErrorOut",
    "HitCheckOut",
    "HitCountryOut",
    "IdentifierOut",
    "LinkedIncidentOut",
    "NearestOut",
    "PreviewAlertOut",
    "PreviewOut",
    "PrincipalSerializer",
    "RequestAnswerOut",
}
# Serializers that are query parameters, not bodies (no component of their own).
PARAMETERS = {
    "AlertFilterIn",
    "CrossingFilterIn",
    "ExerciseFilterIn",
    "IncidentFilterIn",
    "ListFilterIn",
    "NearestIn",
    "PreviewIn",
    "ProgrammeFilterIn",
    "RequestFilterIn",
    "SectorFilterIn",
}


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


def test_the_schema_is_valid_openapi():
    assert openapi_schema()["openapi"] == "3.1.0"
    validate_openapi(openapi_schema())


def test_the_schema_says_null_only_as_json_schema_does():
    """OpenAPI 3.1 has no `nullable`: a schema object left with one would refuse the null it
    means to allow. Null is a `type` of "null" (alone, in a list, or in a branch)."""
    left = []

    def visit(node, where):
        if isinstance(node, dict):
            if "nullable" in node:
                left.append(where)
            for key, value in node.items():
                visit(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                visit(value, f"{where}/{index}")

    visit(openapi_schema(), "#")
    assert not left, left


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


# --- Every GET of the schema, with real data ----------------------------------------------------------

# Who reads each route, in turn: a partner's key, then the owner's (for what only the owner may
# read), then the owner signed in (for what keys may not read). Each answer of 200 is checked.
READERS = ((PARTNER, "key"), (OWNER, "key"), (OWNER, "session"))


@pytest.fixture
def world(request, db):
    """The route walk's world (tests/test_every_route.py), built once for this module too."""
    return request.getfixturevalue("_module_world")


def test_every_get_of_the_schema_answers_as_documented_with_real_data(world):
    """Every GET route of the API, filled with the real ids of the route walk's world (two
    countries' incidents, alerts, agreements, documents, patrols, exercises, programmes), read by
    those who may read it: each answer of 200 is documented, and its JSON body satisfies the
    schema (other media types are what the schema says). Every GET the schema documents is
    reached so, and every list that is documented gives at least one item."""
    documented = {path for path, item in openapi_schema()["paths"].items() if "get" in item}
    checked, lists, listed, failures = set(), set(), set(), []
    for route in routes():
        if not route.path.startswith("api/v1/") or not _serves_get(route):
            continue
        for persona, kind in READERS:
            principal = sign_in(world, persona, kind)
            for filling in fillings(route, world, persona):
                if filling.foreign_to(persona):
                    continue
                response = send(principal.client, "GET", route, filling.path, QUERIES.get(route.path))
                if response.status_code != 200:
                    continue
                template = template_of(filling.path)
                try:
                    body = assert_documented(response)
                except AssertionError as error:
                    failures.append(f"{principal}: GET {filling.path}: {error}")
                    continue
                checked.add(template)
                items = body.get("results") if isinstance(body, dict) else body
                if isinstance(items, list):  # a page, or a list given whole
                    lists.add(template)
                    if items:
                        listed.add(template)
    assert not failures, "\n".join(failures)
    assert checked == documented, f"not read with a 200: {sorted(documented - checked)}"
    assert lists == listed, f"lists read empty only: {sorted(lists - listed)}"
    assert len(documented) >= 20, sorted(documented)
