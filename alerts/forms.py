"""The form agency administrators use for alert subscriptions."""

from django import forms
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from alerts.models import Channel
from incidents.models import Severity
from portal.choices import IncidentCategory
from portal.geo import BBoxField


def _split(text):
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


class SubscriptionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    url = forms.URLField(
        label=_("Webhook URL"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("An https:// address of your system; requests are signed (Standard Webhooks)."),
    )
    emails = forms.CharField(
        label=_("E-mail addresses"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Comma-separated, for the e-mail channel."),
    )
    categories = forms.MultipleChoiceField(
        label=_("Categories"),
        choices=IncidentCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "None ticked: every category. Categories are of incidents: alerts of a raised sector impact level "
            "are sent whatever is ticked here."
        ),
    )
    min_severity = forms.ChoiceField(
        label=_("Minimum severity"),
        choices=Severity.choices,
        help_text=_("For a raised sector impact level, the new level is compared with it (the names are the same)."),
    )
    sectors = forms.CharField(
        label=_("Border sectors"),
        required=False,
        max_length=2000,
        help_text=_(
            "Comma-separated sector codes or names; empty: every sector. Applies to incidents and to raised "
            "impact levels."
        ),
    )
    bbox = BBoxField(
        label=_("Map area"),
        help_text=_(
            "west,south,east,north in decimal degrees; empty: anywhere. A raised impact level is sent when the "
            "sector's extent overlaps the area."
        ),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, subscription=None, **kwargs):
        if subscription is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": subscription.name,
                    "channel": subscription.channel,
                    "url": subscription.url,
                    "emails": ", ".join(subscription.emails),
                    "categories": subscription.categories,
                    "min_severity": subscription.min_severity,
                    "sectors": ", ".join(subscription.sectors),
                    "bbox": ",".join(str(v) for v in subscription.bbox) if subscription.bbox else "",
                    "is_active": subscription.is_active,
                },
            )
        super().__init__(*args, **kwargs)

    def clean_emails(self):
        emails = _split(self.cleaned_data["emails"])
        for email in emails:
            validate_email(email)
        return emails

    def clean_sectors(self):
        return _split(self.cleaned_data["sectors"])
