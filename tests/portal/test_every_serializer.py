"""Every serializer of the portal gives the same output by the planned path
(`portal.api.serializers.PlannedRepresentation`) as by DRF's own walk over its fields, on the rows
the API really serves.

The serializers are found in the `api/serializers.py` module of every app of the portal, so a new
one is checked by itself. Its rows are the objects it was given while every API route was read
(GET, with every real id) by the owner and a partner, signed in and by API key, in the world of
`tests/test_every_route.py`; an input serializer, which the API never writes out, is given the
data it validated on those reads, or, for a model serializer, the rows of its model. A serializer
nothing gives rows to fails, naming itself.

A serializer that already uses the mixin is compared as it is; any other is compared as the
subclass `class Planned(PlannedRepresentation, Serializer)` would be, so that none could take the
mixin and change its output."""

import importlib
import importlib.util
import zoneinfo
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework import serializers

from portal.api.serializers import PlannedListSerializer, PlannedRepresentation
from tests import test_every_route as every_route
from tests.portal.test_api_serializers import typed
from tests.test_every_route import OWNER, PARTNER, QUERIES, SEARCH, fillings, routes, send, sign_in

# The world of tests/test_every_route.py, built once for this module too.
_module_world = every_route._module_world
world = every_route.world

ROWS_PER_SERIALIZER = 40
ZONES = ("UTC", "Europe/Vilnius")


def serializer_modules():
    """The `api.serializers` module of every app of the portal (not of a library)."""
    base = Path(settings.BASE_DIR).resolve()
    names = []
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        inside = base in path.parents and ".venv" not in path.parts
        if (
            inside
            and importlib.util.find_spec(f"{config.name}.api") is not None
            and importlib.util.find_spec(f"{config.name}.api.serializers") is not None
        ):
            names.append(f"{config.name}.api.serializers")
    return [importlib.import_module(name) for name in sorted(names)]


def project_serializers():
    found = []
    for module in serializer_modules():
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, serializers.Serializer) and obj.__module__ == module.__name__:
                found.append(obj)
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


SERIALIZERS = project_serializers()


def _name(cls):
    return f"{cls.__module__.split('.')[0]}.{cls.__qualname__}"


def test_every_app_of_the_portal_is_searched():
    modules = {module.__name__ for module in serializer_modules()}
    assert {f"{app}.api.serializers" for app in ("portal", "agreements", "incidents", "alerts", "training")} <= modules
    assert {"IncidentOut", "AgreementOut", "AlertOut", "PatrolOut", "PrincipalSerializer"} <= {
        cls.__name__ for cls in SERIALIZERS
    }


class Served:
    """What each serializer class was given to write out, and what each validated, while the
    API was read and written; and the JSON objects of the answers."""

    def __init__(self):
        self.written = defaultdict(list)  # class: [(instance, context)]
        self.validated = defaultdict(list)
        self.answered = []  # JSON objects found in the answers

    def _keep(self, store, cls, instance, context):
        rows = store[cls]
        if len(rows) < ROWS_PER_SERIALIZER and not any(row is instance for row, _context in rows):
            rows.append((instance, dict(context)))

    def recording(self):
        served = self
        drf_walk = serializers.Serializer.to_representation
        planned_walk = PlannedRepresentation.to_representation
        run_validation = serializers.Serializer.run_validation

        def written_by(original):
            def to_representation(self, instance):
                served._keep(served.written, type(self), instance, self.context)
                return original(self, instance)

            return to_representation

        def validating(self, *args, **kwargs):
            value = run_validation(self, *args, **kwargs)
            served._keep(served.validated, type(self), value, self.context)
            return value

        return (
            mock.patch.object(serializers.Serializer, "to_representation", written_by(drf_walk)),
            mock.patch.object(PlannedRepresentation, "to_representation", written_by(planned_walk)),
            mock.patch.object(serializers.Serializer, "run_validation", validating),
        )

    def answer(self, response):
        if not response.get("Content-Type", "").startswith("application/json"):
            return
        found = [response.json()]
        while found:
            value = found.pop()
            if isinstance(value, dict):
                self.answered.append(value)
                found.extend(value.values())
            elif isinstance(value, list):
                found.extend(value)

    def rows(self, cls):
        """What the class was given to write out, else what it validated, else (a serializer
        describing answers built as plain JSON, such as the error answers) the JSON objects of
        the answers whose keys are its fields, else (a model serializer) its model's rows."""
        rows = self.written[cls] or self.validated[cls]
        if not rows:
            names = {name for name, field in cls().fields.items() if not field.write_only}
            rows = [(value, {}) for value in self.answered if set(value) == names][:ROWS_PER_SERIALIZER]
        if not rows and issubclass(cls, serializers.ModelSerializer):
            rows = [(row, {}) for row in cls.Meta.model._default_manager.all()[:ROWS_PER_SERIALIZER]]
        return rows


def _extend_world(world):
    """What the world holds none of, for the serializers that write it out: an asset on the
    patrol, an observation of the exercise, a measurement of the programme's indicator."""
    from training.models import Asset, Exercise, Indicator, Measurement, Observation, Patrol

    (patrol,), (exercise,), (indicator,), (asset,) = (
        world.objects[kind] for kind in ("patrol", "exercise", "indicator", "asset")
    )
    Patrol.objects.get(pk=patrol.value).participants.get(agency__country_id=OWNER).assets.add(
        Asset.objects.get(pk=asset.value)
    )
    objective = Exercise.objects.get(pk=exercise.value).objectives.first()
    Observation.objects.create(objective=objective, kind="strength", text="The radios worked across the border")
    Measurement.objects.create(
        indicator=Indicator.objects.get(pk=indicator.value), measured_on=timezone.localdate(), value=Decimal("2.50")
    )


def _writes(world):
    """(persona, kind, method, path, body) of API writes whose input serializers no read validates."""
    (incident, *_), (alert, *_) = world.objects["incident"], world.objects["alert"]
    rfi_pl, rfi_lv = world.objects["info_request"]
    request_body = {
        "requested_country": "pl",
        "subject": "Rows of the serializers",
        "sought": "The keeper",
        "purpose": "Checking the serializers",
        "identifiers": [{"kind": "plate", "value": "ROW 123", "country": "LT"}],
    }
    parties = [
        {"agency": "LT-BG", "liaison_officers": ["lt.liaison"]},
        {"agency": "PL-BG", "liaison_officers": ["pl.liaison"]},
    ]
    created = "/api/v1/agreements/{created}/"
    return [
        (
            OWNER,
            "session",
            "post",
            "/api/v1/agreements/",
            {"kind": "mou", "reference": "LT-PL/99", "title": "Rows", "parties": parties},
        ),
        (OWNER, "session", "patch", created, {"title": "Rows, renamed", "languages": ["lt", "pl"]}),
        (
            OWNER,
            "session",
            "post",
            created + "clauses/",
            {
                "provider": "lt",
                "receiver": "PL",
                "categories": ["smuggling_goods"],
                "max_marking": "AMBER",
                "retention_days": 30,
                "purpose": "Risk analysis",
            },
        ),
        (OWNER, "session", "post", created + "transition/", {"to": "negotiation"}),
        (OWNER, "session", "post", f"/api/v1/incidents/{incident.value}/comments/", {"body": "Seen at the crossing"}),
        (
            OWNER,
            "session",
            "post",
            "/api/v1/incidents/",
            {
                "category": "smuggling_goods",
                "occurred_at": "2024-05-01T10:00:00+03:00",
                "marking": "GREEN",
                "latitude": "54.5",
                "longitude": "25.25",
                "identifiers": [{"kind": "plate", "value": "ROW 123", "country": "LT"}],
            },
        ),
        (PARTNER, "key", "post", f"/api/v1/alerts/{alert.value}/ack/", None),
        (
            PARTNER,
            "key",
            "post",
            "/api/v1/exchange/hits/",
            {"kind": "plate", "value": "SEC 771", "country": "LT", "purpose": "Rows of the serializers"},
        ),
        (OWNER, "key", "post", "/api/v1/exchange/requests/", request_body),
        (
            PARTNER,
            "key",
            "post",
            f"/api/v1/exchange/requests/{rfi_pl.value}/extend/",
            {"due_at": "2099-01-01T00:00:00Z", "reason": "Rows of the serializers"},
        ),
        (
            PARTNER,
            "key",
            "post",
            f"/api/v1/exchange/requests/{rfi_pl.value}/answer/",
            {"kind": "refusal", "refusal_ground": "investigation", "refusal_text": "Rows of the serializers"},
        ),
        (OWNER, "key", "post", f"/api/v1/exchange/requests/{rfi_lv.value}/withdraw/", {"reason": "Rows"}),
    ]


@pytest.fixture(scope="module")
def served(_module_world, django_db_blocker):
    """Every API route read by the owner and a partner, signed in and by key, with every real id;
    then the writes of `_writes`. All of it undone at the end."""
    found = Served()
    api_routes = [route for route in routes() if route.is_api]
    with django_db_blocker.unblock(), transaction.atomic():
        _extend_world(_module_world)
        patches = found.recording()
        for patch in patches:
            patch.start()
        try:
            for persona in (OWNER, PARTNER):
                for kind in ("session", "key"):
                    client = sign_in(_module_world, persona, kind).client
                    for route in api_routes:
                        queries = [QUERIES.get(route.path)] + ([] if route.params else [SEARCH])
                        for filling in fillings(route, _module_world, persona):
                            for query in queries:
                                found.answer(send(client, "GET", route, filling.path, query))
            created = None
            for persona, kind, method, path_, body in _writes(_module_world):
                client = sign_in(_module_world, persona, kind).client
                path_ = path_.format(created=created)
                response = getattr(client, method)(path_, body, content_type="application/json")
                assert response.status_code in {200, 201}, (method, path_, response.status_code, response.content[:500])
                found.answer(response)
                if path_ == "/api/v1/agreements/":
                    created = response.json()["id"]
        finally:
            for patch in patches:
                patch.stop()
        transaction.set_rollback(True)
    return found


_PLANNED = {}


def planned_class(cls):
    """The class with the mixin: itself if it has it, else `Planned(PlannedRepresentation, cls)`."""
    if issubclass(cls, PlannedRepresentation):
        return cls
    if cls not in _PLANNED:
        _PLANNED[cls] = type(f"Planned{cls.__name__}", (PlannedRepresentation, cls), {"__module__": __name__})
    return _PLANNED[cls]


@pytest.mark.parametrize("serializer_class", SERIALIZERS, ids=_name)
def test_the_planned_path_gives_drfs_output(served, world, serializer_class):
    rows = served.rows(serializer_class)
    assert rows, (
        f"{_name(serializer_class)} was given nothing to write out or validate by any API read: add what "
        "it needs to the world in tests/test_every_route.py (or its route to QUERIES there)"
    )
    planned = planned_class(serializer_class)
    for zone in ZONES:
        with timezone.override(zoneinfo.ZoneInfo(zone)):
            for instance, context in rows:
                expected = outcome(
                    serializers.Serializer.to_representation, serializer_class(context=context), instance
                )
                got = outcome(PlannedRepresentation.to_representation, planned(context=context), instance)
                assert got == expected, (zone, instance)
                own = planned(context=context)
                own.fields  # noqa: B018  (built: planned from its own fields)
                assert outcome(PlannedRepresentation.to_representation, own, instance) == expected


def outcome(to_representation, serializer, instance):
    """The output with its types, or the error raised (DRF refuses, say, a partial input), which
    names the serializer's class as the class it was made from."""
    try:
        return typed(to_representation(serializer, instance))
    except Exception as exc:
        cls = type(serializer)
        made_from = cls.__bases__[-1] if cls in _PLANNED.values() else cls
        return ("raised", type(exc).__name__, str(exc).replace(f"`{cls.__name__}`", f"`{made_from.__name__}`"))


@pytest.mark.parametrize("serializer_class", SERIALIZERS, ids=_name)
def test_drfs_readable_fields_are_its_fields_less_the_write_only_ones(serializer_class):
    """What the plan reads instead of DRF's private `_readable_fields`."""
    serializer = serializer_class()
    assert list(serializer._readable_fields) == [field for field in serializer.fields.values() if not field.write_only]


def test_lists_of_the_planned_serializers_are_their_rows(served, world):
    listed = [cls for cls in SERIALIZERS if issubclass(cls, PlannedRepresentation)]
    assert listed, "no serializer of the portal uses PlannedRepresentation"
    for cls in listed:
        rows = served.written[cls]
        assert rows, _name(cls)
        for zone in ZONES:
            with timezone.override(zoneinfo.ZoneInfo(zone)):
                context = rows[0][1]
                many = cls([row for row, _context in rows], many=True, context=context)
                if getattr(cls.Meta, "list_serializer_class", None) is PlannedListSerializer:
                    assert isinstance(many, PlannedListSerializer)
                assert typed(many.data) == typed([cls(row, context=context).data for row, _context in rows])
