"""Reads of incidents. Every one starts from the gate, `Incident.objects.visible_to(principal)`."""

from incidents.models import PERSONAL_FIELDS, Incident, ShareGrant


def incidents_visible_to(principal, at=None):
    return Incident.objects.visible_to(principal, at=at).select_related("agency", "country")


def incident_get(principal, pk):
    """A visible incident (404 alike for missing and foreign ones), redacted for the principal."""
    incidents = Incident.objects.select_related("agency", "country", "reporter")
    return redact(incidents.get_visible_or_404(principal, pk=pk))


def redact(incident):
    """Blank the personal fields when the principal's country may not receive them."""
    if not getattr(incident, "personal_data_visible", False):
        for field in PERSONAL_FIELDS:
            setattr(incident, field, None if field == "person_birth_date" else "")
        incident.personal_data_withheld = incident.has_personal_data
    else:
        incident.personal_data_withheld = False
    return incident


def grants_seen_by(principal, incident):
    """The owner sees every grant of its incident; a partner sees only its own country's."""
    grants = ShareGrant.objects.filter(incident=incident).select_related("country", "clause__agreement")
    if principal.agency.country_id != incident.country_id:
        grants = grants.filter(country_id=principal.agency.country_id)
    return grants
