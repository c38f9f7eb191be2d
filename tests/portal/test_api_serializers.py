"""The planned list representation gives exactly what DRF's generic walk over the fields gives."""

import zoneinfo
from decimal import Decimal

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
            rows = [selectors.redact(i) for i in selectors.incident_search(reader, shared_under=False)]
            assert IncidentOut(rows, many=True).data == [IncidentOut(row).data for row in rows]


@pytest.mark.parametrize(
    ("field", "values"),
    [
        (
            serializers.DecimalField(max_digits=9, decimal_places=6),
            [
                Decimal("54.123456"),
                Decimal("-23.000001"),
                Decimal("0.000000"),
                Decimal("-0.000000"),
                Decimal("54.1"),
                Decimal("54.1234567"),
                Decimal("1E+2"),
                Decimal("999.999999"),
                12.5,
                "7.25",
            ],
        ),
        (serializers.DecimalField(max_digits=4, decimal_places=2, coerce_to_string=False), [Decimal("1.25")]),
        (serializers.DecimalField(max_digits=5, decimal_places=2, normalize_output=True), [Decimal("1.50")]),
        (serializers.BooleanField(), [True, False, 1, 0, "true", "False", "yes"]),
        (serializers.CharField(), ["text", "", 12]),
        (serializers.IntegerField(), [0, 7, -3]),
    ],
)
def test_shorter_paths_give_drfs_output_for_every_value(field, values):
    from portal.api.serializers import _representation

    for value in values:
        expected = field.to_representation(value)
        got = _representation(field)(value)
        assert got == expected and type(got) is type(expected), (value, got, expected)
