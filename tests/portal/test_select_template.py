"""The portal's select template (`templates/django/forms/widgets/select.html`, which writes each
option itself instead of including a template per option) renders exactly what Django's own
templates render; any change to Django's templates fails here, so that the copy follows them."""

import hashlib
from pathlib import Path

import django.forms
import pytest
from django import forms
from django.conf import settings
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils import translation
from django.utils.translation import gettext_lazy

from incidents.models import IncidentStatus
from portal.choices import IncidentCategory
from portal.models import Country

DJANGO_TEMPLATES = Path(django.forms.__file__).parent / "templates"
WIDGETS = "django/forms/widgets"

# The Django templates (5.2) the portal's select reproduces. A digest that no longer matches means
# Django changed that template: make the portal's select render what the new one renders (the
# comparisons below show it), then record the new digest.
DJANGO_SELECT = {
    "select.html": "ed4d11ce3784486f",
    "select_option.html": "37fa6c7742580aa3",
    "attrs.html": "f729483efe44660f",
}


def test_djangos_select_templates_are_unchanged():
    changed = {}
    for name, digest in DJANGO_SELECT.items():
        found = hashlib.sha256((DJANGO_TEMPLATES / WIDGETS / name).read_bytes()).hexdigest()[:16]
        if found != digest:
            changed[name] = found
    assert not changed, f"Django changed {sorted(changed)}: update the portal's select.html, then the digests {changed}"


def test_the_portal_renders_its_select_and_overrides_no_option_template():
    portal = Path(settings.BASE_DIR) / "templates" / WIDGETS
    template = get_default_renderer().get_template(f"{WIDGETS}/select.html")
    assert Path(template.origin.name) == portal / "select.html"
    reference = DjangoTemplates().get_template(f"{WIDGETS}/select.html")
    assert Path(reference.origin.name) == DJANGO_TEMPLATES / WIDGETS / "select.html"
    # The select writes Django's option and attribute templates itself: an override of either
    # would not be used by it.
    assert not (portal / "select_option.html").exists() and not (portal / "attrs.html").exists()


def djangos(widget, name, value, attrs=None):
    """The widget as Django's own form renderer renders it, with Django's own templates."""
    return widget.render(name, value, attrs, renderer=DjangoTemplates())


class WithOptionAttrs(forms.Select):
    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        option["attrs"].update({"data-code": f'"{value}" & <co>', "data-on": True, "data-off": False})
        return option


class OtherOptionTemplate(forms.Select):
    option_template_name = "django/forms/widgets/input_option.html"


CASES = {
    "plain": (forms.Select(choices=[("", "---------"), ("a", "Alpha"), ("b", "B & <b>")]), "b", None),
    "attrs": (
        forms.Select(choices=[("a", "Alpha")], attrs={"class": "form-select", "data-x": 'q"uote'}),
        "a",
        {"id": "id_thing", "required": True, "disabled": False, "autofocus": True},
    ),
    "nothing_chosen": (forms.Select(choices=[("a", "Alpha"), ("b", "Beta")]), None, None),
    "groups": (
        forms.Select(choices=[("Group <1>", [(1, "One"), (2, "Two")]), (3, "Three"), ("Empty", [])]),
        2,
        None,
    ),
    "multiple": (forms.SelectMultiple(choices=[("a", "Alpha"), ("b", "Beta"), ("c", "Gamma")]), ["a", "c"], None),
    "null_boolean": (forms.NullBooleanSelect(), True, None),
    "null_boolean_unknown": (forms.NullBooleanSelect(), None, None),
    "lazy_labels": (forms.Select(choices=IncidentStatus.choices), IncidentStatus.VALIDATED, None),
    "grouped_lazy": (forms.Select(choices=[(gettext_lazy("Status"), IncidentStatus.choices)]), "draft", None),
    "categories": (forms.Select(choices=[("", "---------"), *IncidentCategory.choices]), "smuggling_goods", None),
    "option_attrs": (WithOptionAttrs(choices=[("a", "Alpha"), ("b", "Beta")]), "a", None),
    "other_option_template": (OtherOptionTemplate(choices=[("a", "Alpha"), ("b", "Beta")]), "b", {"id": "id_o"}),
    "date": (forms.SelectDateWidget(years=[2024, 2025]), "2025-02-03", None),
}


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("case", CASES)
def test_a_select_renders_as_djangos_templates_render_it(case, language):
    widget, value, attrs = CASES[case]
    with translation.override(language):
        assert widget.render("thing", value, attrs) == djangos(widget, "thing", value, attrs)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_select_of_real_rows_renders_as_djangos_templates_render_it(db, language):
    field = forms.ModelChoiceField(queryset=Country.objects.order_by("code"), to_field_name="code")
    assert Country.objects.exists()
    with translation.override(language):
        for value in ("LT", None):
            assert field.widget.render("country", value) == djangos(field.widget, "country", value)
    many = forms.ModelMultipleChoiceField(queryset=Country.objects.order_by("code"))
    chosen = list(Country.objects.order_by("code").values_list("pk", flat=True)[:2])
    assert many.widget.render("countries", chosen) == djangos(many.widget, "countries", chosen)
