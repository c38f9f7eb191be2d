"""Forms of the pages of requests for information and single points of contact."""

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from agreements.models import Agreement
from agreements.selectors import agreements_visible_to
from exchange import selectors
from exchange.models import AnswerKind, LegalBasis, RefusalGround, RequestStatus, SinglePointOfContact
from incidents.forms import IDENTIFIERS_PREFIX, IdentifierFormSet
from incidents.models import Incident
from portal.gate import principal_country_id
from portal.models import Agency, Country

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class SpocForm(forms.Form):
    agency = forms.ModelChoiceField(label=_("Agency"), queryset=Agency.objects.none())
    desk = forms.CharField(
        label=_("Desk"),
        max_length=200,
        required=False,
        help_text=_("The desk of the agency that answers, if not all of it."),
    )
    languages = forms.CharField(
        label=_("Working languages"),
        max_length=100,
        help_text=_("Language codes separated by commas, such as en, lt, pl."),
    )
    always_open = forms.BooleanField(label=_("Staffed around the clock"), required=False, initial=True)
    hours = forms.CharField(
        label=_("Working hours"),
        max_length=200,
        required=False,
        help_text=_("When it is not staffed around the clock."),
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Telephone"), max_length=40, required=False)

    def __init__(self, *args, user, instance=None, **kwargs):
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "agency": instance.agency_id,
                    "desk": instance.desk,
                    "languages": ", ".join(instance.languages),
                    "always_open": instance.always_open,
                    "hours": instance.hours,
                    "email": instance.email,
                    "phone": instance.phone,
                },
            )
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["agency"]).queryset = Agency.objects.filter(
            country_id=principal_country_id(user), is_active=True
        )

    def service_fields(self):
        data = dict(self.cleaned_data)
        data["languages"] = [code.strip() for code in data["languages"].split(",")]
        return data


class CountryChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


class AgreementChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.reference}: {obj.title}"


class RequestForm(forms.Form):
    requested_country = CountryChoice(
        label=_("Requested country"),
        queryset=Country.objects.none(),
        help_text=_("Only countries that named a single point of contact are listed."),
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    sought = forms.CharField(label=_("Information sought"), widget=forms.Textarea(attrs={"rows": 4}))
    purpose = forms.CharField(
        label=_("Purpose"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the information is needed, and its link to the offence (Article 4(3))."),
    )
    legal_basis = forms.ChoiceField(label=_("Legal basis"), choices=LegalBasis.choices, initial=LegalBasis.DIRECTIVE)
    agreement = AgreementChoice(
        label=_("Agreement"),
        queryset=Agreement.objects.none(),
        required=False,
        help_text=_("When the legal basis is an agreement: one in force between the two countries."),
    )
    urgent = forms.BooleanField(label=_("Urgent"), required=False)
    directly_accessible = forms.BooleanField(
        label=_("Directly accessible to the receiver"),
        required=False,
        initial=True,
        help_text=_(
            "Held in the receiver's own databases. Urgent and directly accessible: 8 hours; urgent otherwise: "
            "3 days; every other request: 7 days."
        ),
    )
    linked_incidents = forms.CharField(
        label=_("Linked incidents"),
        required=False,
        help_text=_("References of incidents you can see, separated by commas or spaces."),
    )
    hit = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        own = principal_country_id(user)
        with_spoc = SinglePointOfContact.objects.exclude(country_id=own).values("country_id")
        cast(forms.ModelChoiceField, self.fields["requested_country"]).queryset = Country.objects.filter(
            pk__in=with_spoc
        )
        cast(forms.ModelChoiceField, self.fields["agreement"]).queryset = agreements_visible_to(user).filter(
            status="in_force"
        )

    def clean_linked_incidents(self):
        references = [r for r in self.cleaned_data["linked_incidents"].replace(",", " ").split() if r]
        found = {i.reference: i for i in Incident.objects.visible_to(self.user).filter(reference__in=references)}
        missing = [r for r in references if r not in found]
        if missing:
            raise forms.ValidationError(
                _("No incident you may see has the reference %(refs)s.") % {"refs": ", ".join(missing)}
            )
        return [found[r] for r in dict.fromkeys(references)]

    def clean_hit(self):
        hit_id = self.cleaned_data.get("hit")
        if hit_id is None:
            return None
        hit = selectors.hit_of_own_country(self.user, hit_id)
        if hit is None:
            raise forms.ValidationError(_("This hit is not from a check of your country."))
        return hit


def request_identifier_formset(data=None, *, user, initial=()):
    """The identifiers of a request, as on the incident form (the rows of `incidents.forms`)."""
    countries = [(country.pk, str(country)) for country in Country.objects.all()]
    return IdentifierFormSet(
        data,
        initial=list(initial),
        prefix=IDENTIFIERS_PREFIX,
        form_kwargs={"countries": countries, "region": principal_country_id(user)},
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class RequestActionForm(forms.Form):
    """The form of one action on a request (`exchange.views._request_action`)."""

    def __init__(self, *args, info_request, **kwargs):
        super().__init__(*args, **kwargs)
        self.info_request = info_request


class AnswerForm(RequestActionForm):
    kind = forms.ChoiceField(label=_("Answer"), choices=AnswerKind.choices, widget=forms.RadioSelect)
    text = forms.CharField(label=_("Information provided"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    follows = forms.CharField(
        label=_("What follows"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For a partial answer: what is still to come."),
    )
    follows_by = forms.DateTimeField(label=_("Follows by"), required=False, widget=DATETIME)
    refusal_ground = forms.ChoiceField(
        label=_("Ground for refusal"), required=False, choices=[("", "—"), *RefusalGround.choices]
    )
    refusal_text = forms.CharField(
        label=_("Reasons for the refusal"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    personal_data = forms.CharField(
        label=_("Personal data"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only where an agreement in force lets your country give personal data to the requesting one."),
    )
    files = MultipleFileField(label=_("Files"), required=False)
    files_personal = forms.BooleanField(label=_("The files show or name a person"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        """Without a clause that lets the answering country give personal data, the form asks
        for none: no personal-data field, and no file may be marked as showing a person."""
        super().__init__(*args, **kwargs)
        self.personal_data_allowed = selectors.personal_data_allowed(self.info_request)
        if not self.personal_data_allowed:
            del self.fields["personal_data"]
            del self.fields["files_personal"]

    def attachments(self):
        personal = self.cleaned_data.get("files_personal", False)
        return [(upload, personal) for upload in self.cleaned_data.get("files") or []]


class ExtendForm(RequestActionForm):
    due_at = forms.DateTimeField(label=_("New time limit"), widget=DATETIME)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class RouteForm(RequestActionForm):
    agency = forms.ModelChoiceField(label=_("Agency that holds the information"), queryset=Agency.objects.none())
    reason = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["agency"])
        field.queryset = selectors.agencies_to_route_to(self.info_request)


class WithdrawForm(RequestActionForm):
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RequestFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), ("open", _("Open")), *RequestStatus.choices],
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    q = forms.CharField(label=_("Search"), required=False, help_text=None)
