"""Forms of the training pages; the services do the checks that need the whole picture."""

import json
from typing import cast

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agreements.models import Agreement, AgreementParty, AgreementStatus
from borders.models import BorderSector
from incidents.models import Incident
from portal.models import Agency, Country, User
from training.models import (
    ActionStatus,
    ActivityStatus,
    Asset,
    AssetKind,
    ExerciseParticipant,
    FundingSource,
    Objective,
    ObservationKind,
    ParticipantRole,
    ScenarioType,
)
from training.selectors import sop_documents_for

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MULTI = _("Hold Ctrl to choose several.")


class AgencyField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.country} · {obj.name} ({obj.code})"


class AgenciesField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.country} · {obj.name} ({obj.code})"


class PeopleField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.get_full_name() or obj.username} ({obj.agency.code})"


class SectorField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.country_id} · {obj.code} · {obj.name}"


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.get_full_name() or obj.username} ({obj.agency.code})"


class AssetsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.agency.code} · {obj.get_kind_display()} {obj.identifier} ({obj.name})"


def partner_agencies(user):
    """Agencies the user may plan with: those of countries that share an agreement with the user's."""
    countries = Agreement.objects.visible_to(user).values("parties__country")
    return Agency.objects.filter(is_active=True, country__in=countries).select_related("country")


def _people(agencies):
    return (
        User.objects.filter(is_active=True, agency__in=agencies)
        .select_related("agency")
        .order_by("agency__code", "last_name", "username")
    )


class TransitionForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class PatrolForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    agreement = forms.ModelChoiceField(
        label=_("Governing agreement"),
        queryset=Agreement.objects.none(),
        help_text=_("An agreement in force with the participating countries among its parties."),
    )
    sector = SectorField(
        label=_("Border sector"),
        queryset=BorderSector.objects.none(),
        required=False,
        empty_label=_("None"),
        help_text=_("A sector of a party to the governing agreement."),
    )
    starts_at = forms.DateTimeField(label=_("Planned start"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=_("Planned end"), widget=DATETIME)
    commanding_agency = AgencyField(label=_("Commanding agency"), queryset=Agency.objects.none())
    agencies = AgenciesField(
        label=_("Participating agencies"), queryset=Agency.objects.none(), help_text=MULTI, required=False
    )
    officers = PeopleField(
        label=_("Officers"), queryset=User.objects.none(), required=False, help_text=_("Of the agencies taking part.")
    )
    assets = AssetsField(
        label=_("Assets"), queryset=Asset.objects.none(), required=False, help_text=_("Of the agencies taking part.")
    )
    route = forms.CharField(
        label=_("Route or area (GeoJSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "geojson-input"}),
        help_text=_("Drawn on the map above; a LineString or a Polygon in longitude, latitude order."),
    )
    notes = forms.CharField(label=_("Orders and notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user, patrol=None, **kwargs):
        if patrol is not None:
            participants = list(patrol.participants.prefetch_related("officers", "assets"))
            kwargs.setdefault(
                "initial",
                {
                    "title": patrol.title,
                    "agreement": patrol.agreement_id,
                    "sector": patrol.sector_id,
                    "starts_at": patrol.starts_at,
                    "ends_at": patrol.ends_at,
                    "commanding_agency": patrol.commanding_agency_id,
                    "agencies": [p.agency_id for p in participants],
                    "officers": [o.pk for p in participants for o in p.officers.all()],
                    "assets": [a.pk for p in participants for a in p.assets.all()],
                    "route": json.dumps(patrol.route) if patrol.route else "",
                    "notes": patrol.notes,
                },
            )
        super().__init__(*args, **kwargs)
        agencies = partner_agencies(user)
        agreements = Agreement.objects.visible_to(user).filter(status=AgreementStatus.IN_FORCE)
        cast(forms.ModelChoiceField, self.fields["agreement"]).queryset = agreements
        cast(forms.ModelChoiceField, self.fields["commanding_agency"]).queryset = agencies
        # Sectors of the parties to the agreements offered, that the user's country sees now.
        parties = AgreementParty.objects.filter(agreement__in=agreements).values("country_id")
        sectors = BorderSector.objects.visible_to(user).filter(is_active=True, country_id__in=parties)
        sector_field = cast(forms.ModelChoiceField, self.fields["sector"])
        sector_field.queryset = sectors.select_related("country").order_by("country_id", "code")
        self.reported_sector = patrol.border_sector if patrol is not None and patrol.sector_id is None else ""
        if self.reported_sector:
            sector_field.help_text = _("Reported as “%(name)s”, which matches no sector.") % {
                "name": self.reported_sector
            }
        cast(forms.ModelChoiceField, self.fields["agencies"]).queryset = agencies
        cast(forms.ModelChoiceField, self.fields["officers"]).queryset = _people(agencies).filter(
            Q(is_officer=True) | Q(is_supervisor=True)
        )
        cast(forms.ModelChoiceField, self.fields["assets"]).queryset = Asset.objects.filter(
            agency__in=agencies, is_active=True
        ).select_related("agency")

    def clean_route(self):
        text = self.cleaned_data["route"].strip()
        if not text:
            return None
        try:
            return validate_geometry(json.loads(text))
        except (ValueError, TypeError) as exc:
            raise forms.ValidationError(_("Draw the route again: %(why)s") % {"why": exc}) from exc

    def participant_list(self):
        data = self.cleaned_data
        agencies = {a.pk: a for a in [data["commanding_agency"], *data["agencies"]]}
        outside = [o for o in data["officers"] if o.agency_id not in agencies]
        outside += [a for a in data["assets"] if a.agency_id not in agencies]
        if outside:
            raise forms.ValidationError(
                _("%(what)s belongs to an agency that does not take part.") % {"what": outside[0]}
            )
        return [
            (
                agency,
                [o for o in data["officers"] if o.agency_id == pk],
                [a for a in data["assets"] if a.agency_id == pk],
            )
            for pk, agency in agencies.items()
        ]

    def patrol_fields(self):
        names = ("title", "agreement", "sector", "starts_at", "ends_at", "commanding_agency", "route", "notes")
        fields = {name: self.cleaned_data[name] for name in names}
        if fields["sector"] is None:
            fields["border_sector"] = self.reported_sector  # kept as reported until a sector is chosen
        return fields


def _point(point):
    """[longitude, latitude] on the globe, rounded to six decimals (about 10 cm)."""
    if not isinstance(point, list) or len(point) < 2:
        raise ValueError(_("malformed coordinates"))
    lon, lat = float(point[0]), float(point[1])
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError(_("a point lies outside the globe"))
    return [round(lon, 6), round(lat, 6)]


def _line(line):
    if not isinstance(line, list):
        raise ValueError(_("malformed coordinates"))
    return [_point(point) for point in line]


def _line_string(points):
    if len(points) < 2:
        raise ValueError(_("a route needs at least two points"))
    return {"type": "LineString", "coordinates": points}


def _polygon(rings):
    """Rings of three points at least, each closed on its first point."""
    for ring in rings:
        if len(ring) < 3:
            raise ValueError(_("an area needs at least three points"))
        if ring[0] != ring[-1]:
            ring.append(ring[0])
    return {"type": "Polygon", "coordinates": rings}


def validate_geometry(value):
    """A GeoJSON LineString or Polygon with coordinates in range; returns it cleaned."""
    if not isinstance(value, dict) or value.get("type") not in {"LineString", "Polygon"}:
        raise ValueError(_("a LineString or a Polygon is expected"))
    coordinates = value.get("coordinates")
    lines = [coordinates] if value["type"] == "LineString" else coordinates
    if not isinstance(lines, list) or not lines:
        raise ValueError(_("no coordinates"))
    cleaned = [_line(line) for line in lines]
    if value["type"] == "LineString":
        return _line_string(cleaned[0])
    return _polygon(cleaned)


class PatrolReportForm(forms.Form):
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 4}))
    hours = forms.DecimalField(label=_("Hours on patrol"), min_value=0, max_digits=6, decimal_places=1)
    distance_km = forms.DecimalField(label=_("Distance (km)"), min_value=0, max_digits=8, decimal_places=1)
    observations = forms.CharField(label=_("Observations"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    incidents = forms.ModelMultipleChoiceField(
        label=_("Incidents found on patrol"),
        queryset=Incident.objects.none(),
        required=False,
        help_text=_("Incidents you may see from the patrol's day(s). %(multi)s") % {"multi": MULTI},
    )

    def __init__(self, *args, user, patrol, **kwargs):
        report = getattr(patrol, "report", None)
        if report is not None:
            kwargs.setdefault(
                "initial",
                {
                    "summary": report.summary,
                    "hours": report.hours,
                    "distance_km": report.distance_km,
                    "observations": report.observations,
                    "incidents": list(report.incidents.values_list("pk", flat=True)),
                },
            )
        super().__init__(*args, **kwargs)
        window = Q(occurred_at__date__gte=patrol.starts_at.date(), occurred_at__date__lte=patrol.ends_at.date())
        cast(forms.ModelChoiceField, self.fields["incidents"]).queryset = (
            Incident.objects.visible_to(user).filter(window).order_by("occurred_at")
        )


class ExerciseForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    scenario = forms.ChoiceField(label=_("Scenario type"), choices=ScenarioType.choices)
    description = forms.CharField(label=_("Scenario"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    host_agency = AgencyField(label=_("Host agency"), queryset=Agency.objects.none())
    agencies = AgenciesField(
        label=_("Participating agencies"), queryset=Agency.objects.none(), required=False, help_text=MULTI
    )
    starts_at = forms.DateTimeField(label=_("Starts"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=_("Ends"), widget=DATETIME)
    location = forms.CharField(label=_("Place"), max_length=200, required=False)
    objectives = forms.CharField(
        label=_("Objectives"), widget=forms.Textarea(attrs={"rows": 4}), help_text=_("One objective per line.")
    )
    assets = AssetsField(label=_("Assets"), queryset=Asset.objects.none(), required=False, help_text=MULTI)

    def __init__(self, *args, user, exercise=None, **kwargs):
        if exercise is not None:
            kwargs.setdefault(
                "initial",
                {
                    "title": exercise.title,
                    "scenario": exercise.scenario,
                    "description": exercise.description,
                    "host_agency": exercise.host_agency_id,
                    "agencies": list(exercise.agencies.values_list("pk", flat=True)),
                    "starts_at": exercise.starts_at,
                    "ends_at": exercise.ends_at,
                    "location": exercise.location,
                    "objectives": "\n".join(o.text for o in exercise.objectives.all()),
                    "assets": list(exercise.assets.values_list("pk", flat=True)),
                },
            )
        super().__init__(*args, **kwargs)
        agencies = partner_agencies(user)
        cast(forms.ModelChoiceField, self.fields["host_agency"]).queryset = agencies
        cast(forms.ModelChoiceField, self.fields["agencies"]).queryset = agencies
        cast(forms.ModelChoiceField, self.fields["assets"]).queryset = Asset.objects.filter(
            agency__in=agencies, is_active=True
        ).select_related("agency")

    def exercise_fields(self):
        data = dict(self.cleaned_data)
        data["objectives"] = data["objectives"].splitlines()
        return data


class ParticipantForm(forms.Form):
    user = PersonField(label=_("Person"), queryset=User.objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=ParticipantRole.choices)

    def __init__(self, *args, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["user"]).queryset = _people(agencies)


class InjectForm(forms.Form):
    at = forms.DateTimeField(label=_("Time"), widget=DATETIME)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 2}))
    recipient: "forms.ModelChoiceField[ExerciseParticipant]" = forms.ModelChoiceField(
        label=_("Received by"), queryset=None
    )

    def __init__(self, *args, exercise, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["recipient"]).queryset = exercise.participants.select_related("user")


class AfterActionForm(forms.Form):
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 4}))
    lessons_learned = forms.CharField(label=_("Lessons learned"), widget=forms.Textarea(attrs={"rows": 4}))


class ObservationForm(forms.Form):
    objective: "forms.ModelChoiceField[Objective]" = forms.ModelChoiceField(label=_("Objective"), queryset=None)
    kind = forms.ChoiceField(label=_("Kind"), choices=ObservationKind.choices)
    text = forms.CharField(label=_("Observation"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, exercise, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["objective"]).queryset = exercise.objectives.all()


class SopDocumentField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.agreement.reference} · {obj.title}"


class CorrectiveActionForm(forms.Form):
    description = forms.CharField(label=_("Action"), widget=forms.Textarea(attrs={"rows": 2}))
    owner_agency = AgencyField(label=_("Owner agency"), queryset=Agency.objects.none())
    due_on = forms.DateField(label=_("Due on"), widget=DATE)
    sop_document = SopDocumentField(
        label=_("SOP document it changes"),
        queryset=None,
        required=False,
        help_text=_("The action then closes when a new version of that document is uploaded."),
    )

    def __init__(self, *args, user, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["owner_agency"]).queryset = Agency.objects.filter(
            pk__in=[a.pk for a in agencies]
        ).select_related("country")
        cast(forms.ModelChoiceField, self.fields["sop_document"]).queryset = sop_documents_for(user)


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ActionStatus.choices)
    closing_note = forms.CharField(
        label=_("How it was closed"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AssetForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AssetKind.choices)
    identifier = forms.CharField(
        label=_("Identifier"), max_length=60, help_text=_("Registration, hull number or call sign.")
    )
    name = forms.CharField(label=_("Name"), max_length=120)
    is_active = forms.BooleanField(label=_("In service"), required=False, initial=True)


class ProgrammeForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    source_kind = forms.ChoiceField(label=_("Funding source"), choices=FundingSource.choices)
    funder_name = forms.CharField(
        label=_("Funded by"), max_length=200, help_text=_("For example: EU Integrated Border Management Fund.")
    )
    funder_country = forms.ModelChoiceField(
        label=_("Funding state"),
        queryset=Country.objects.all(),
        required=False,
        help_text=_("Only for a partner state."),
    )
    budget = forms.DecimalField(label=_("Budget"), min_value=0, max_digits=14, decimal_places=2)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="EUR")
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE)
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE)
    agencies = AgenciesField(label=_("Participating agencies"), queryset=Agency.objects.none(), help_text=MULTI)

    def __init__(self, *args, user, programme=None, **kwargs):
        if programme is not None:
            kwargs.setdefault(
                "initial",
                {
                    **{
                        name: getattr(programme, name)
                        for name in (
                            "title",
                            "description",
                            "source_kind",
                            "funder_name",
                            "budget",
                            "currency",
                            "starts_on",
                            "ends_on",
                        )
                    },
                    "funder_country": programme.funder_country_id,
                    "agencies": list(programme.agencies.values_list("pk", flat=True)),
                },
            )
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["agencies"]).queryset = Agency.objects.filter(
            is_active=True
        ).select_related("country")


class SpendingForm(forms.Form):
    spent_on = forms.DateField(label=_("Date"), widget=DATE)
    amount = forms.DecimalField(label=_("Amount"), min_value=0, max_digits=14, decimal_places=2)
    description = forms.CharField(label=_("What for"), max_length=200)


class CourseForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    place = forms.CharField(label=_("Place"), max_length=200)
    trainer_agency = AgencyField(label=_("Trainer agency"), queryset=Agency.objects.none())
    starts_at = forms.DateTimeField(label=_("Starts"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=_("Ends"), widget=DATETIME)
    trainees = PeopleField(label=_("Trainees"), queryset=User.objects.none(), required=False, help_text=MULTI)

    def __init__(self, *args, programme, course=None, **kwargs):
        if course is not None:
            kwargs.setdefault(
                "initial",
                {
                    **{name: getattr(course, name) for name in ("title", "place", "starts_at", "ends_at")},
                    "trainer_agency": course.trainer_agency_id,
                    "trainees": list(course.trainees.values_list("user_id", flat=True)),
                },
            )
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["trainer_agency"]).queryset = Agency.objects.filter(
            is_active=True
        ).select_related("country")
        cast(forms.ModelChoiceField, self.fields["trainees"]).queryset = _people(programme.agencies.all())


class CourseCompletionForm(forms.Form):
    completed = PeopleField(
        label=_("Trainees who completed the course"), queryset=User.objects.none(), required=False, help_text=MULTI
    )

    def __init__(self, *args, course, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["completed"]).queryset = User.objects.filter(
            pk__in=course.trainees.values("user")
        ).select_related("agency")


class IndicatorForm(forms.Form):
    name = forms.CharField(label=_("Indicator"), max_length=200)
    unit = forms.CharField(label=_("Unit"), max_length=40, required=False)
    baseline = forms.DecimalField(label=_("Baseline"), max_digits=12, decimal_places=2)
    target = forms.DecimalField(label=_("Target"), max_digits=12, decimal_places=2)


class MeasurementForm(forms.Form):
    measured_on = forms.DateField(label=_("Measured on"), widget=DATE)
    value = forms.DecimalField(label=_("Value"), max_digits=12, decimal_places=2)


class ActivityFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *ActivityStatus.choices]
    )
    since = forms.DateField(label=_("From"), required=False, widget=DATE)
    until = forms.DateField(label=_("To"), required=False, widget=DATE)


class PatrolFilterForm(ActivityFilterForm):
    partner = forms.ModelChoiceField(
        label=_("With"),
        required=False,
        queryset=Country.objects.filter(agencies__isnull=False).distinct(),
        empty_label=_("Any country"),
    )


class ExerciseFilterForm(ActivityFilterForm):
    scenario = forms.ChoiceField(
        label=_("Scenario"), required=False, choices=[("", _("Any scenario")), *ScenarioType.choices]
    )


class ProgrammeFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    source_kind = forms.ChoiceField(
        label=_("Funding source"), required=False, choices=[("", _("Any source")), *FundingSource.choices]
    )
