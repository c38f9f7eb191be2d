"""Who edits sectors and crossing points (liaison officers and supervisors of the owning country),
who sets impact levels (its supervisors, with a reason and a confirmation), and the messages a
badly drawn sector gets. Partners see but never edit."""

import json

import pytest
from django.urls import reverse

from borders.models import BorderSector, ImpactLevelChange
from tests.borders.conftest import LINE
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _sector_post(**changes):
    return {
        "code": "LT-PL-3",
        "name": "Vištytis",
        "description": "",
        "geometry": json.dumps(LINE),
        "is_active": "on",
        **changes,
    }


def test_liaison_of_the_owning_country_creates_and_changes_a_sector(owner_liaison, signed_in):
    client = signed_in(owner_liaison)
    assert client.get(reverse("borders:create")).status_code == 200
    response = client.post(reverse("borders:create"), _sector_post())
    sector = BorderSector.objects.get(code="LT-PL-3")
    assert response.status_code == 302 and response["Location"] == reverse("borders:detail", args=[sector.pk])
    assert sector.country_id == "LT" and sector.geometry == LINE
    client.post(reverse("borders:edit", args=[sector.pk]), _sector_post(name="Vištytis lake"))
    sector.refresh_from_db()
    assert sector.name == "Vištytis lake"
    page = client.get(reverse("borders:detail", args=[sector.pk])).content.decode()
    assert "Change the sector" in page and "Set the impact level" not in page  # a liaison, not a supervisor


def test_officer_of_the_owning_country_is_refused(officer, sector, crossing, signed_in):
    client = signed_in(officer)
    for path in (
        reverse("borders:create"),
        reverse("borders:edit", args=[sector.pk]),
        reverse("borders:level", args=[sector.pk]),
        reverse("borders:crossing_create"),
        reverse("borders:crossing_edit", args=[crossing.pk]),
    ):
        assert client.get(path).status_code == 403, path
        assert client.post(path, _sector_post()).status_code == 403, path
    page = client.get(reverse("borders:detail", args=[sector.pk])).content.decode()
    assert "Change the sector" not in page and "Set the impact level" not in page
    assert not BorderSector.objects.filter(code="LT-PL-3").exists()


def test_liaison_and_supervisor_of_a_partner_see_but_are_refused(
    partner_liaison, partner_supervisor, sector, crossing, signed_in
):
    for person in (partner_liaison, partner_supervisor):
        client = signed_in(person)
        assert client.get(reverse("borders:detail", args=[sector.pk])).status_code == 200
        for path in (
            reverse("borders:edit", args=[sector.pk]),
            reverse("borders:level", args=[sector.pk]),
            reverse("borders:crossing_edit", args=[crossing.pk]),
        ):
            assert client.get(path).status_code == 403, path
            assert (
                client.post(path, {**_sector_post(), "level": "critical", "reason": "x", "confirmed": "1"}).status_code
                == 403
            )
    sector.refresh_from_db()
    assert sector.code == "LT-PL-2" and sector.impact_level == "low"
    assert not ImpactLevelChange.objects.exists()


def test_a_partner_liaison_creates_sectors_of_its_own_country_only(partner_liaison, signed_in):
    signed_in(partner_liaison).post(reverse("borders:create"), _sector_post(code="PL-LT-9"))
    assert BorderSector.objects.get(code="PL-LT-9").country_id == "PL"


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        ("not json", "not GeoJSON"),
        (json.dumps({"type": "Point", "coordinates": [23.2, 54.3]}), "LineString, MultiLineString, Polygon"),
        (json.dumps({"type": "LineString", "coordinates": [[23.2, 54.3]]}), "at least two positions"),
        (json.dumps({"type": "LineString", "coordinates": [[23.2, 54.3], [223.2, 54.4]]}), "outside longitude"),
        (
            json.dumps({"type": "Polygon", "coordinates": [[[23.2, 54.3], [23.3, 54.3], [23.3, 54.4], [23.2, 54.4]]]}),
            "must end where it starts",
        ),
        (json.dumps({"type": "LineString", "coordinates": [[-10.0, 40.0], [30.0, 65.0]]}), "longer than 2000 km"),
        ("", "Draw the sector on the map"),
    ],
)
def test_badly_drawn_sector_is_refused_with_a_message(owner_liaison, signed_in, geometry, message):
    response = signed_in(owner_liaison).post(reverse("borders:create"), _sector_post(geometry=geometry))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not BorderSector.objects.exists()


def test_the_form_shows_the_length_so_a_long_sector_is_noticed(owner_liaison, signed_in):
    long_line = {"type": "LineString", "coordinates": [[21.0, 54.0], [26.0, 54.5]]}  # about 330 km
    response = signed_in(owner_liaison).post(
        reverse("borders:create"), _sector_post(geometry=json.dumps(long_line), code="")
    )
    text = response.content.decode()
    assert "Length: 329.5 km" in text  # what was drawn, shown with the errors of the form
    assert "That is long for one sector" in text
    assert 'data-long-km="120"' in text


def test_a_code_is_unique_within_the_country(owner_liaison, sector, signed_in):
    response = signed_in(owner_liaison).post(reverse("borders:create"), _sector_post(code="LT-PL-2"))
    assert response.status_code == 200 and BorderSector.objects.filter(code="LT-PL-2").count() == 1


def test_crossing_point_belongs_to_a_sector_of_the_same_country(owner_liaison, partner_liaison, sector, signed_in):
    from borders import services

    pl_sector = services.sector_save(actor=partner_liaison, code="PL-LT-2", name="Budzisko", geometry=LINE)
    client = signed_in(owner_liaison)
    post = {"code": "LT-X", "name": "X", "kind": "rail", "latitude": "54.3", "longitude": "23.2", "is_active": "on"}
    refused = client.post(reverse("borders:crossing_create"), {**post, "sector": pl_sector.pk})
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    saved = client.post(reverse("borders:crossing_create"), {**post, "sector": sector.pk})
    assert saved.status_code == 302
    assert sector.crossing_points.get().kind == "rail"


def test_supervisor_sets_the_level_after_confirming_with_a_reason(supervisor, sector, signed_in):
    client = signed_in(supervisor)
    path = reverse("borders:level", args=[sector.pk])
    missing = client.post(path, {"level": "high", "reason": "  "})
    assert "Say why the level changes." in missing.content.decode()
    same = client.post(path, {"level": "low", "reason": "no change"})
    assert "already at this level" in same.content.decode()
    confirm = client.post(path, {"level": "high", "reason": "Three groups in a night"})
    assert confirm.status_code == 200 and "Confirm the impact level" in confirm.content.decode()
    assert "partners who see this sector are alerted" in confirm.content.decode()
    assert not ImpactLevelChange.objects.exists()  # nothing before the confirmation
    done = client.post(path, {"level": "high", "reason": "Three groups in a night", "confirmed": "1"})
    assert done.status_code == 302
    change = ImpactLevelChange.objects.get()
    assert (change.previous_level, change.level, change.set_by, change.reason) == (
        "low",
        "high",
        supervisor,
        "Three groups in a night",
    )
    page = client.get(reverse("borders:detail", args=[sector.pk])).content.decode()
    assert "Three groups in a night" in page and "Ona Test · LT-SBGS" in page


def test_a_supervisor_of_a_country_without_agreement_gets_404(outsider_supervisor, sector, signed_in):
    client = signed_in(outsider_supervisor)
    path = reverse("borders:level", args=[sector.pk])
    assert client.post(path, {"level": "high", "reason": "x", "confirmed": "1"}).status_code == 404
    assert not ImpactLevelChange.objects.exists()


def test_list_filters_by_country_and_level_and_has_an_empty_state(
    sector, level_change, partner_liaison, signed_in, owner_liaison
):
    from borders import services

    services.sector_save(actor=partner_liaison, code="PL-LT-2", name="Budzisko", geometry=LINE)
    client = signed_in(owner_liaison)
    everything = client.get(reverse("borders:list")).content.decode()
    assert "LT-PL-2" in everything and "PL-LT-2" in everything
    polish = client.get(reverse("borders:list"), {"country": "PL"}).content.decode()
    assert "PL-LT-2" in polish and "LT-PL-2" not in polish
    high = client.get(reverse("borders:list"), {"level": "high"}).content.decode()
    assert "LT-PL-2" in high and "PL-LT-2" not in high
    none = client.get(reverse("borders:list"), {"level": "critical"}).content.decode()
    assert "No sector matches" in none


def test_a_person_of_no_agency_sees_no_sector(sector, signed_in):
    nobody = UserFactory(username="auditor", agency=None, is_officer=False)
    client = signed_in(nobody)
    assert "LT-PL-2" not in client.get(reverse("borders:list")).content.decode()
    assert client.get(reverse("borders:detail", args=[sector.pk])).status_code == 404
