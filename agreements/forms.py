"""Forms of the agreements pages; the services do the checks that need the agreement's state."""

from typing import cast

import pycountry
from django import forms
from django.utils.translation import gettext_lazy as _

from agreements.models import (
    AgreementKind,
    AgreementStatus,
    ClauseMode,
    DisputeStatus,
    DocumentKind,
)
from agreements.services import AGREEMENT_FIELDS
from portal.choices import SHAREABLE_TLP, IdentifierKind, IncidentCategory
from portal.models import Agency, Country, User

LANGUAGE_CHOICES = sorted(
    ((lang.alpha_2, lang.name) for lang in pycountry.languages if hasattr(lang, "alpha_2")), key=lambda c: c[1]
)
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AgencyChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.country} · {obj.name} ({obj.code})"


class LiaisonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.get_full_name() or obj.username} ({obj.agency.code})"


class AgreementForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AgreementKind.choices)
    reference = forms.CharField(label=_("Reference number"), max_length=60)
    title = forms.CharField(label=_("Title"), max_length=300)
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        choices=LANGUAGE_CHOICES,
        required=False,
        help_text=_("Languages of the authentic texts. Hold Ctrl to choose several."),
    )
    parties = AgencyChoiceField(
        label=_("Parties"),
        queryset=Agency.objects.none(),
        help_text=_("The agency representing each country; two or more countries, yours included."),
    )
    liaison_officers = LiaisonChoiceField(
        label=_("Responsible liaison officers"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("They receive the reminders. Each must belong to one of the chosen agencies."),
    )
    signed_on = forms.DateField(label=_("Signed on"), required=False, widget=DATE)
    effective_from = forms.DateField(label=_("Effective from"), required=False, widget=DATE)
    expires_on = forms.DateField(
        label=_("Expires on"), required=False, widget=DATE, help_text=_("Leave empty for an open-ended agreement.")
    )
    notice_period_days = forms.IntegerField(
        label=_("Notice period (days)"), required=False, min_value=0, max_value=3650
    )
    auto_renewal = forms.BooleanField(label=_("Renews automatically"), required=False)
    renewal_months = forms.IntegerField(label=_("Renewal term (months)"), required=False, min_value=1, max_value=120)

    def __init__(self, *args, agreement=None, **kwargs):
        if agreement is not None:
            parties = list(agreement.parties.all())
            kwargs.setdefault(
                "initial",
                {
                    **{name: getattr(agreement, name) for name in AGREEMENT_FIELDS},
                    "parties": [p.agency_id for p in parties],
                    "liaison_officers": [u.pk for p in parties for u in p.liaison_officers.all()],
                },
            )
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["parties"]).queryset = Agency.objects.filter(
            is_active=True
        ).select_related("country")
        cast(forms.ModelChoiceField, self.fields["liaison_officers"]).queryset = User.objects.filter(
            is_active=True, is_liaison=True, agency__is_active=True
        ).select_related("agency")
        if agreement is not None and not agreement.is_content_editable:
            for name in ("kind", "reference", "title", "summary", "languages", "parties", "liaison_officers"):
                self.fields[name].disabled = True

    def clean_parties(self):
        agencies = self.cleaned_data["parties"]
        countries = [agency.country_id for agency in agencies]
        if len(set(countries)) < 2:
            raise forms.ValidationError(_("Choose agencies of at least two countries."))
        if len(set(countries)) != len(countries):
            raise forms.ValidationError(_("Choose one agency per country."))
        return agencies

    def party_list(self):
        """The chosen agencies with their liaison officers, as the services expect them."""
        liaisons = self.cleaned_data.get("liaison_officers") or []
        return [
            (agency, [person for person in liaisons if person.agency_id == agency.pk])
            for agency in self.cleaned_data["parties"]
        ]

    def agreement_fields(self):
        data = dict(self.cleaned_data)
        data.pop("parties", None)
        data.pop("liaison_officers", None)
        return data


class TransitionForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    signed_on = forms.DateField(label=_("Signed on"), required=False, widget=DATE)
    effective_from = forms.DateField(label=_("Effective from"), required=False, widget=DATE)

    def __init__(self, *args, target, agreement, **kwargs):
        super().__init__(*args, **kwargs)
        if target != AgreementStatus.SIGNED or agreement.signed_on:
            del self.fields["signed_on"]
        if target != AgreementStatus.IN_FORCE or agreement.effective_from:
            del self.fields["effective_from"]
        if target in {AgreementStatus.SUSPENDED, AgreementStatus.TERMINATED}:
            self.fields["reason"].required = True


class CountryChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.localized_name


class ClauseForm(forms.Form):
    provider = CountryChoice(
        label=_("Providing party"), queryset=Country.objects.none(), required=False, empty_label=_("Every party")
    )
    receiver = CountryChoice(
        label=_("Receiving party"), queryset=Country.objects.none(), required=False, empty_label=_("Every other party")
    )
    mutual = forms.BooleanField(label=_("Mutual (the receiver shares the same in return)"), required=False)
    categories = forms.MultipleChoiceField(
        label=_("Incident categories"), choices=IncidentCategory.choices, widget=forms.CheckboxSelectMultiple
    )
    max_marking = forms.ChoiceField(
        label=_("Highest marking shared"), choices=SHAREABLE_TLP, help_text=_("TLP:RED is never shared by a clause.")
    )
    personal_data = forms.BooleanField(label=_("Personal data may be shared"), required=False)
    retention_days = forms.IntegerField(
        label=_("Retention (days)"),
        min_value=1,
        max_value=3650,
        help_text=_("How long the receiver may keep shared data."),
    )
    mode = forms.ChoiceField(label=_("Sharing"), choices=ClauseMode.choices)
    purpose = forms.CharField(label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 3}))
    hit_no_hit_kinds = forms.MultipleChoiceField(
        label=_("Hit/no-hit checks"),
        choices=IdentifierKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Identifier kinds the receiver may check for a hit or no hit against the provider's incidents"),
    )

    def __init__(self, *args, agreement, clause=None, **kwargs):
        if clause is not None:
            kwargs.setdefault(
                "initial",
                {
                    "provider": clause.provider_id,
                    "receiver": clause.receiver_id,
                    "mutual": clause.mutual,
                    "categories": clause.categories,
                    "max_marking": clause.max_marking,
                    "personal_data": clause.personal_data,
                    "retention_days": clause.retention_days,
                    "mode": clause.mode,
                    "purpose": clause.purpose,
                    "hit_no_hit_kinds": clause.hit_no_hit_kinds,
                },
            )
        super().__init__(*args, **kwargs)
        countries = Country.objects.filter(pk__in=agreement.parties.values("country_id"))
        cast(forms.ModelChoiceField, self.fields["provider"]).queryset = countries
        cast(forms.ModelChoiceField, self.fields["receiver"]).queryset = countries


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=DocumentKind.choices)
    file = forms.FileField(label=_("File"), help_text=_("PDF, DOCX or ODT."))


class DocumentVersionForm(forms.Form):
    file = forms.FileField(label=_("New version"), help_text=_("PDF, DOCX or ODT."))


class DisputeForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}))


class DisputeMessageForm(forms.Form):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 3}))
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)


class DisputeStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=DisputeStatus.choices)
    resolution = forms.CharField(label=_("Resolution"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class AgreementFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    partner = CountryChoice(
        label=_("Partner country"), queryset=Country.objects.none(), required=False, empty_label=_("Any country")
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any kind")), *AgreementKind.choices])
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *AgreementStatus.choices]
    )
    expiring_within = forms.IntegerField(label=_("Expiring within (days)"), required=False, min_value=0, max_value=3650)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["partner"]).queryset = Country.objects.filter(
            agencies__isnull=False
        ).distinct()
