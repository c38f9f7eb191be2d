"""The planned list representation gives exactly what DRF's generic walk over the fields gives."""

import zoneinfo

import pytest
from django.utils import timezone
from rest_framework import serializers

from incidents import selectors
from incidents.api.serializers import IncidentOut


@pytest.mark.parametrize("zone", ["UTC", "Europe/Vilnius"])
def test_planned_output_equals_drf_output(make_incident, lt_pl_in_force, partner_officer, officer, zone):
    make_incident("validated", has_personal_data=True, person_name="Jonas Jonaitis")
    make_incident("draft", description="Draft with no validation time")
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        for reader in (officer, partner_officer):
            for incident in selectors.incident_search(reader, shared_under=False):
                incident = selectors.redact(incident)
                planned = IncidentOut(incident).data
                generic = serializers.ModelSerializer.to_representation(IncidentOut(incident), incident)
                if incident.personal_data_withheld or not incident.has_personal_data:
                    generic.update(dict.fromkeys(("person_name", "person_birth_date"), None))
                    generic.update(dict.fromkeys(("person_nationality", "person_document_number"), None))
                assert planned == generic
                assert planned["occurred_at"].endswith("Z") == (zone == "UTC")
