"""Forms of the incident pages."""

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from borders.models import BorderSector, CrossingPoint
from borders.selectors import crossing_choices, sector_choices
from incidents import exercises, identifiers
from incidents.models import Incident, IncidentStatus, Severity
from incidents.services import INCIDENT_FIELDS
from portal.choices import TLP, IdentifierKind, IncidentCategory
from portal.gate import principal_country_id
from portal.geo import BBoxField
from portal.models import Agency, Country

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


# The form offers the country's sectors and crossing points to choose from; the text fields
# stay for names reported before (shown as reported on the incident's page).
FORM_FIELDS = [
    name
    for field in INCIDENT_FIELDS
    for name in ({"border_sector": ["sector"], "crossing_point": ["crossing"]}.get(field, [field]))
]


class SectorChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} · {obj.name}"


class CrossingChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.get_kind_display()})"


class IncidentForm(forms.ModelForm):
    class Meta:
        model = Incident
        fields = FORM_FIELDS
        field_classes = {"sector": SectorChoice, "crossing": CrossingChoice}
        widgets = {
            "occurred_at": DATETIME,
            "description": forms.Textarea(attrs={"rows": 5}),
            "person_birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "latitude": forms.NumberInput(attrs={"step": "0.000001"}),
            "longitude": forms.NumberInput(attrs={"step": "0.000001"}),
        }
        help_texts = {
            "marking": _("TLP:RED is never shared with partners."),
            "latitude": _("Decimal degrees, for example 54.6872."),
            "sector": _("A click on the map suggests the nearest one."),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The incident's country: the reporter's for a new one.
        country_id = self.instance.country_id or principal_country_id(user)
        viewer = user or self.instance.reporter
        sector = cast(forms.ModelChoiceField, self.fields["sector"])
        crossing = cast(forms.ModelChoiceField, self.fields["crossing"])
        sector.queryset = sector_choices(viewer, [country_id]) if viewer else BorderSector.objects.none()
        crossing.queryset = crossing_choices(viewer, [country_id]) if viewer else CrossingPoint.objects.none()
        sector.empty_label = crossing.empty_label = _("None")
        if self.instance.border_sector:
            sector.help_text = _("Reported as “%(name)s”, which matches no sector of the country.") % {
                "name": self.instance.border_sector
            }
        if self.instance.crossing_point:
            crossing.help_text = _("Reported as “%(name)s”, which matches no crossing point of the country.") % {
                "name": self.instance.crossing_point
            }
        if self.instance.pk is None and user is not None:
            running = exercises.running_for(user)
            if running.exists():
                self.fields["exercise"] = forms.ModelChoiceField(
                    label=_("Filed in exercise"),
                    queryset=running,
                    required=False,
                    empty_label=_("No: a real incident"),
                    help_text=_("Exercise play is marked EXERCISE wherever it appears, and never mistaken for real."),
                )


class IdentifierForm(forms.Form):
    """One row of the incident's identifiers; a row left empty is no identifier."""

    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", "—"), *IdentifierKind.choices])
    value = forms.CharField(label=_("Identifier"), required=False, max_length=40)
    country = forms.ChoiceField(
        label=_("Country"),
        required=False,
        help_text=_("Of the plate or the document; for a phone number, the country of a national number."),
    )

    def __init__(self, *args, countries=(), region=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.region = region
        cast(forms.ChoiceField, self.fields["country"]).choices = [("", "—"), *countries]

    def clean(self):
        data = super().clean() or {}
        kind, value, country = data.get("kind"), (data.get("value") or "").strip(), data.get("country") or None
        if not kind and not value:
            if country:
                self.add_error("kind", _("Choose the kind of identifier, or leave the row empty."))
            data["identifier"] = None
            return data
        try:
            data["identifier"] = identifiers.normalise(kind, value, country, region=self.region)
        except forms.ValidationError as exc:
            field = {"kind": "kind", "country": "country"}.get(exc.code or "", "value")
            self.add_error(field, exc)
        return data


class BaseIdentifierFormSet(forms.BaseFormSet):
    """The rows of identifiers filled in, as the services take them."""

    def entries(self):
        return [
            {
                "kind": form.cleaned_data["kind"],
                "value": form.cleaned_data["value"],
                "country": form.cleaned_data["country"],
            }
            for form in self.forms
            if form.cleaned_data.get("identifier") is not None
        ]


IdentifierFormSet = forms.formset_factory(
    IdentifierForm,
    formset=BaseIdentifierFormSet,
    extra=3,
    max_num=identifiers.MAX_PER_INCIDENT,
    validate_max=True,
    absolute_max=identifiers.MAX_PER_INCIDENT,
)


IDENTIFIERS_PREFIX = "identifiers"


def identifier_formset(data=None, *, incident=None, user=None):
    """The identifiers of an incident's form: its own (none for a new one) and three empty rows.
    Phone numbers are read in the incident's country (the reporter's for a new incident). A post
    without the rows (a client that does not send them) leaves it unbound: the identifiers are
    then not changed."""
    from portal.models import Country

    if data is not None and f"{IDENTIFIERS_PREFIX}-TOTAL_FORMS" not in data:
        data = None

    initial = (
        [{"kind": row.kind, "value": row.value, "country": row.country_id or ""} for row in incident.identifiers.all()]
        if incident is not None
        else []
    )
    countries = [(country.pk, str(country)) for country in Country.objects.all()]
    region = incident.country_id if incident is not None else principal_country_id(user)
    return IdentifierFormSet(
        data, initial=initial, prefix=IDENTIFIERS_PREFIX, form_kwargs={"countries": countries, "region": region}
    )


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}))


class ShareForm(forms.Form):
    country = forms.ModelChoiceField(label=_("Share with"), queryset=Country.objects.none())

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["country"]).queryset = Country.objects.filter(
            pk__in=[c.pk for c, _basis in options]
        )


class IncidentFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("Any category")), *IncidentCategory.choices]
    )
    country = forms.ModelChoiceField(
        label=_("Country"), required=False, queryset=Country.objects.none(), empty_label=_("Any country")
    )
    severity = forms.ChoiceField(
        label=_("Severity"), required=False, choices=[("", _("Any severity")), *Severity.choices]
    )
    marking = forms.ChoiceField(label=_("Marking"), required=False, choices=[("", _("Any marking")), *TLP.choices])
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *IncidentStatus.choices]
    )
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    bbox = BBoxField(label=_("Map area"), help_text=_("west,south,east,north in decimal degrees"))
    handled_by_us = forms.BooleanField(
        label=_("Handled by us"),
        required=False,
        help_text=_("Incidents your agency took over through a handover."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["country"]).queryset = Country.objects.filter(
            agencies__isnull=False
        ).distinct()


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("Photo or document"), help_text=_("JPEG or PNG photos; PDF, DOCX or ODT documents."))
    personal_data = forms.BooleanField(
        label=_("Shows or names a person"),
        required=False,
        initial=True,
        help_text=_("Partners whose clause withholds personal data do not receive this file."),
    )


class AgencyChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.country} · {obj.name} ({obj.code})"


class HandoverForm(forms.Form):
    to_agency = AgencyChoice(label=_("Hand over to"), queryset=Agency.objects.none())
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, incident, **kwargs):
        super().__init__(*args, **kwargs)
        countries = incident.visibility.exclude(country_id=incident.country_id).values("country_id")
        cast(forms.ModelChoiceField, self.fields["to_agency"]).queryset = Agency.objects.filter(
            is_active=True, country_id__in=countries
        )


class HandoverAnswerForm(forms.Form):
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class DeskFilterForm(forms.Form):
    """The validation queue's filters on the duty desk."""

    q = forms.CharField(label=_("Search"), required=False)
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("Any category")), *IncidentCategory.choices]
    )
    severity = forms.ChoiceField(
        label=_("Severity"), required=False, choices=[("", _("Any severity")), *Severity.choices]
    )


# How many incidents one bulk validation takes (one page of the queue).
BULK_VALIDATE_MAX = 50


class IncidentIdsField(forms.TypedMultipleChoiceField):
    """Incident ids; whether each may be chosen is the form's question (asked of the database)."""

    def valid_value(self, value):
        return True


class BulkValidateForm(forms.Form):
    """The incidents chosen on the duty desk, each of them in the supervisor's queue."""

    incident = IncidentIdsField(
        coerce=int,
        error_messages={
            "required": _("Choose at least one incident to validate."),
            "invalid_choice": _("Choose incidents from the validation queue."),
        },
    )

    def __init__(self, *args, queue, **kwargs):
        super().__init__(*args, **kwargs)
        self.queue = queue
        self.chosen: list[Incident] = []

    def clean_incident(self):
        ids = list(dict.fromkeys(self.cleaned_data["incident"]))
        if len(ids) > BULK_VALIDATE_MAX:
            raise forms.ValidationError(
                _("Validate at most %(n)s incidents at once.") % {"n": BULK_VALIDATE_MAX}, code="too_many"
            )
        self.chosen = list(self.queue.filter(pk__in=ids))
        if len(self.chosen) != len(ids):
            # Validated by a colleague meanwhile, or not of this queue: the same answer for both.
            raise forms.ValidationError(
                _("Some of the chosen incidents no longer await validation; choose again."), code="gone"
            )
        return ids
