"""`get_<field>_display()` gives the label of the value, in the active language, for every field
with choices of every model of the portal, as Django's own does; `portal.models.ChoiceLabels`
replaces the method Django generates (and nothing a model defines itself)."""

import functools
import inspect
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.test.utils import isolate_apps
from django.utils import translation
from django.utils.encoding import force_str

from incidents.models import Incident
from portal.models import ChoiceLabels


def portal_models():
    base = Path(settings.BASE_DIR).resolve()
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if base in path.parents and ".venv" not in path.parts:
            yield from config.get_models()


def fields_with_choices():
    return [
        (model, field)
        for model in portal_models()
        for field in model._meta.concrete_fields
        if field.choices is not None and hasattr(model, f"get_{field.name}_display")
    ]


FIELDS = fields_with_choices()


def _flat(field):
    for value, label in field.choices:
        if isinstance(label, list | tuple):
            yield from label
        else:
            yield value, label


def test_the_portal_has_fields_with_choices_and_incidents_use_the_mixin():
    assert len(FIELDS) >= 20
    assert issubclass(Incident, ChoiceLabels)
    assert {"status", "category", "severity", "marking"} <= {f.name for m, f in FIELDS if m is Incident}


@pytest.mark.parametrize(("model", "field"), FIELDS, ids=[f"{m._meta.label}.{f.name}" for m, f in FIELDS])
@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_field_with_choices_shows_its_label(model, field, language):
    instance = model()
    display = getattr(instance, f"get_{field.name}_display")
    with translation.override(language):
        for value, label in [*_flat(field), ("no-such-choice", None)]:
            setattr(instance, field.attname, value)
            expected = value if label is None else force_str(label)
            assert display() == expected
            # Django's own display, which the method replaces on models with the mixin.
            assert display() == models.Model._get_FIELD_display(instance, field)


def test_labels_are_translated():
    incident = Incident(status="validated", severity="high", marking="RED", category="smuggling_goods")
    with translation.override("fr"):
        assert incident.get_status_display() == "Validé"
        french = [incident.get_severity_display(), incident.get_category_display()]
    assert incident.get_status_display() == "Validated"
    assert french != [incident.get_severity_display(), incident.get_category_display()]


def test_the_mixin_replaces_every_method_django_generated_on_its_models():
    for model, field in FIELDS:
        if issubclass(model, ChoiceLabels):
            method = inspect.getattr_static(model, f"get_{field.name}_display")
            assert inspect.isfunction(method) and method.__name__ == f"get_{field.name}_display", (model, field)


@isolate_apps("portal")
def test_a_method_the_model_defines_is_kept_and_callable_choices_are_read_anew():
    offered = [("a", "Alpha")]

    class Abstract(ChoiceLabels, models.Model):
        size = models.CharField(max_length=1, choices=[("s", "Small"), ("Group", [("l", "Large")])])

        class Meta:
            abstract = True
            app_label = "portal"

    class Thing(Abstract):
        kind = models.CharField(max_length=1, choices=[("k", "Kind")])
        mood = models.CharField(max_length=1, choices=lambda: offered)
        tags = models.JSONField(choices=[(["x", "y"], "Both"), ({"a": 1}, "Mapping")], null=True)

        class Meta:
            app_label = "portal"

        def __str__(self):
            return self.kind

        def get_kind_display(self):
            return "its own"

    thing = Thing(size="l", kind="k", mood="a", tags=["x", "y"])
    assert thing.get_kind_display() == "its own"
    assert thing.get_size_display() == "Large" and inspect.isfunction(vars(Thing)["get_size_display"])
    assert thing.get_mood_display() == "Alpha"
    offered[:] = [("a", "Changed")]
    assert thing.get_mood_display() == "Changed"
    assert thing.get_tags_display() == "Both"
    thing.tags = {"a": 1}
    assert thing.get_tags_display() == "Mapping"
    for name in ("size", "mood", "tags"):
        field = Thing._meta.get_field(name)
        assert getattr(thing, f"get_{name}_display")() == models.Model._get_FIELD_display(thing, field)


@isolate_apps("portal")
def test_django_still_generates_the_methods_the_mixin_replaces():
    """What the mixin relies on: Django puts a generated `get_<field>_display` in the class's own
    dict, keeps one the class body defines, and builds it from `Model._get_FIELD_display(field)`,
    the reference the tests above compare with."""

    class Plain(models.Model):
        kind = models.CharField(max_length=1, choices=[("k", "Kind")])
        size = models.CharField(max_length=1, choices=[("s", "Small")])

        class Meta:
            app_label = "portal"

        def __str__(self):
            return self.kind

        def get_size_display(self):
            return "its own"

    generated = vars(Plain)["get_kind_display"]
    assert isinstance(generated, functools.partialmethod)
    assert generated.func is models.Model._get_FIELD_display
    assert Plain(kind="k").get_kind_display() == "Kind" and Plain(size="s").get_size_display() == "its own"
    assert list(inspect.signature(models.Model._get_FIELD_display).parameters) == ["self", "field"]
