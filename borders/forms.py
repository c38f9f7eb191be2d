"""Forms of the border sector pages: a sector drawn on the map, a crossing point clicked on it,
an impact level with its reason, and the list's filters."""

import json
from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from borders.geometry import line_length_km, lines_of, validate_geometry
from borders.models import BorderSector, CrossingKind, ImpactLevel
from portal.models import Country

# A land sector of one border guard unit is some tens of km; past this the form asks to check.
LONG_SECTOR_KM = 120


class SectorForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=30, help_text=_("Short and unique within the country, e.g. LT-PL-1.")
    )
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    geometry = forms.CharField(
        label=_("Line or area (GeoJSON)"),
        widget=forms.Textarea(attrs={"rows": 2, "class": "geojson-input"}),
        help_text=_("Drawn on the map above; a LineString or a Polygon in longitude, latitude order."),
        error_messages={"required": _("Draw the sector on the map: at least two points for a line.")},
    )
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args, sector=None, **kwargs):
        if sector is not None:
            kwargs.setdefault(
                "initial",
                {
                    "code": sector.code,
                    "name": sector.name,
                    "description": sector.description,
                    "geometry": json.dumps(sector.geometry),
                    "is_active": sector.is_active,
                },
            )
        super().__init__(*args, **kwargs)

    def clean_geometry(self):
        text = self.cleaned_data["geometry"].strip()
        try:
            geometry = json.loads(text)
        except ValueError:
            raise ValidationError(_("Draw the sector again: what the field holds is not GeoJSON.")) from None
        validate_geometry(geometry)
        return geometry

    def length_km(self):
        geometry = self.cleaned_data.get("geometry") if hasattr(self, "cleaned_data") else None
        if not geometry:
            return None
        return round(sum(line_length_km(line) for line in lines_of(geometry)), 1)

    def sector_fields(self):
        return {name: self.cleaned_data[name] for name in ("code", "name", "description", "geometry", "is_active")}


class SectorChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} · {obj.name}"


class CrossingForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=30, help_text=_("Short and unique within the country."))
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=CrossingKind.choices)
    sector = SectorChoice(
        label=_("Border sector"),
        queryset=BorderSector.objects.none(),
        required=False,
        empty_label=_("No sector"),
        help_text=_("A sector of the same country."),
    )
    latitude = forms.DecimalField(
        label=_("Latitude"),
        max_digits=9,
        decimal_places=6,
        min_value=-90,
        max_value=90,
        widget=forms.NumberInput(attrs={"step": "0.000001"}),
        help_text=_("Click the map, or type decimal degrees, for example 54.2861."),
    )
    longitude = forms.DecimalField(
        label=_("Longitude"),
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"step": "0.000001"}),
    )
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args, sectors, crossing=None, **kwargs):
        if crossing is not None:
            kwargs.setdefault(
                "initial",
                {
                    "code": crossing.code,
                    "name": crossing.name,
                    "kind": crossing.kind,
                    "sector": crossing.sector_id,
                    "latitude": crossing.latitude,
                    "longitude": crossing.longitude,
                    "is_active": crossing.is_active,
                },
            )
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["sector"]).queryset = sectors

    def crossing_fields(self):
        names = ("code", "name", "kind", "sector", "latitude", "longitude", "is_active")
        return {name: self.cleaned_data[name] for name in names}


class LevelForm(forms.Form):
    level = forms.ChoiceField(label=_("New impact level"), choices=ImpactLevel.choices)
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("Kept in the sector's history and shown to the partners who see the sector."),
        error_messages={"required": _("Say why the level changes.")},
    )

    def __init__(self, *args, sector, **kwargs):
        super().__init__(*args, **kwargs)
        self.sector = sector

    def clean_level(self):
        level = self.cleaned_data["level"]
        if level == self.sector.impact_level:
            raise ValidationError(_("The sector is already at this level."))
        return level

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("Say why the level changes."))
        return reason


class SectorFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    country = forms.ModelChoiceField(
        label=_("Country"), required=False, queryset=Country.objects.none(), empty_label=_("Any country")
    )
    level = forms.ChoiceField(
        label=_("Impact level"), required=False, choices=[("", _("Any level")), *ImpactLevel.choices]
    )

    def __init__(self, *args, countries, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["country"]).queryset = Country.objects.filter(
            pk__in=list(countries)
        ).order_by("pk")
