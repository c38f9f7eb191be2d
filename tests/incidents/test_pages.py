"""Incident pages: the owner and a partner with a clause see an incident; everyone else gets 404."""

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident
from tests.helpers import audit_log, dashboard_panel


@pytest.fixture
def shared_incident(lt_pl_in_force, make_incident):
    return make_incident(
        "validated",
        has_personal_data=True,
        person_name="Jonas Jonaitis",
        description="Cigarettes in a lorry at the Medininkai crossing",
    )


def test_officer_files_a_draft_and_submits(verified_client, officer):
    client = verified_client(officer)
    response = client.post(
        reverse("incidents:create"),
        {
            "category": "smuggling_goods",
            "occurred_at": timezone.now().strftime("%Y-%m-%dT%H:%M"),
            "latitude": "54.5",
            "longitude": "25.5",
            "description": "Lorry",
            "people_involved": 2,
            "severity": "high",
            "source_reliability": "B",
            "information_credibility": "2",
            "marking": "AMBER",
        },
    )
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.status == "draft" and incident.reference.startswith("LT-SBGS-")
    client.post(reverse("incidents:step", args=[incident.pk, "submit"]))
    incident.refresh_from_db()
    assert incident.status == "submitted"


def test_form_errors_next_to_fields(verified_client, officer):
    response = verified_client(officer).post(reverse("incidents:create"), {"category": "", "latitude": "95"})
    assert response.status_code == 200
    assert {"category", "occurred_at", "latitude"} <= set(response.context["form"].errors)
    assert Incident.objects.count() == 0


def test_supervisor_validates_and_it_is_shared(
    make_incident, verified_client, supervisor, lt_pl_in_force, partner_officer
):
    incident = make_incident("submitted")
    verified_client(supervisor).post(reverse("incidents:step", args=[incident.pk, "validate"]))
    incident.refresh_from_db()
    assert incident.status == "shared"


def test_partner_sees_it_marked_with_the_sharing_country_and_without_personal_data(
    shared_incident, verified_client, partner_officer
):
    client = verified_client(partner_officer)
    listing = client.get(reverse("incidents:list")).content.decode()
    assert shared_incident.reference in listing and "Lithuania" in listing
    assert shared_incident.grants.get().clause.agreement.reference in listing
    detail = client.get(reverse("incidents:detail", args=[shared_incident.pk]))
    body = detail.content.decode()
    assert "Shared by Lithuania" in body and "LT-PL/" in body
    assert "Jonas Jonaitis" not in body and "Personal data withheld" in body
    assert audit_log().filter(action="incident.viewed", actor=partner_officer).exists()


def test_owner_sees_grants_and_viewers(shared_incident, verified_client, officer, partner_officer):
    verified_client(partner_officer).get(reverse("incidents:detail", args=[shared_incident.pk]))
    verified_client(officer)
    body = verified_client(officer).get(reverse("incidents:detail", args=[shared_incident.pk])).content.decode()
    assert "Jonas Jonaitis" in body
    assert "Poland" in body and "pl.officer" in body


def test_outsider_gets_404_and_an_empty_list(shared_incident, verified_client, outsider_officer):
    client = verified_client(outsider_officer)
    assert shared_incident.reference not in client.get(reverse("incidents:list")).content.decode()
    for name in ("incidents:detail", "incidents:edit", "incidents:follow_up"):
        assert client.get(reverse(name, args=[shared_incident.pk])).status_code == 404
    for url in (
        reverse("incidents:comment", args=[shared_incident.pk]),
        reverse("incidents:share", args=[shared_incident.pk]),
        reverse("incidents:step", args=[shared_incident.pk, "close"]),
    ):
        assert client.post(url, {"body": "x", "country": "FI"}).status_code == 404
    assert shared_incident.comments.count() == 0


def test_partner_comments(shared_incident, verified_client, partner_officer):
    verified_client(partner_officer).post(
        reverse("incidents:comment", args=[shared_incident.pk]), {"body": "Same lorry seen on our side"}
    )
    assert shared_incident.comments.get().author == partner_officer


def test_list_filters_and_keyset_pages(make_incident, verified_client, officer):
    for hours in range(1, 56):
        make_incident(
            occurred_at=timezone.now() - timezone.timedelta(hours=hours),
            category="document_fraud" if hours % 5 == 0 else "smuggling_goods",
        )
    client = verified_client(officer)
    first = client.get(reverse("incidents:list"))
    assert len(first.context["rows"]) == 50 and first.context["following"]
    second = client.get(reverse("incidents:list"), {"after": first.context["following"]})
    assert len(second.context["rows"]) == 5
    assert not {r.pk for r in first.context["rows"]} & {r.pk for r in second.context["rows"]}
    fraud = client.get(reverse("incidents:list"), {"category": "document_fraud"})
    assert len(fraud.context["rows"]) == 11


def test_list_query_count_does_not_grow_with_rows(
    make_incident, verified_client, officer, django_assert_max_num_queries
):
    client = verified_client(officer)
    make_incident()
    with django_assert_max_num_queries(12) as small:
        client.get(reverse("incidents:list"))
    for _ in range(20):
        make_incident()
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("incidents:list"))


def test_geojson_holds_only_visible_incidents(
    shared_incident, make_incident, verified_client, partner_officer, outsider_officer
):
    from decimal import Decimal

    Incident.objects.filter(pk=shared_incident.pk).update(latitude=Decimal("54.5"), longitude=Decimal("25.6"))
    features = verified_client(partner_officer).get(reverse("incidents:geojson")).json()["features"]
    assert [f["properties"]["reference"] for f in features] == [shared_incident.reference]
    assert features[0]["geometry"]["coordinates"] == [25.6, 54.5]
    assert audit_log().filter(action="incident.exported", actor=partner_officer).exists()
    assert verified_client(outsider_officer).get(reverse("incidents:geojson")).json()["features"] == []


def test_the_map_draws_the_newest_and_says_when_more_matched(make_incident, verified_client, officer, monkeypatch):
    from decimal import Decimal

    from incidents import views

    monkeypatch.setattr(views, "MAP_LIMIT", 2)
    incidents = [make_incident(latitude=Decimal("54.5"), longitude=Decimal("25.6")) for _ in range(3)]
    client = verified_client(officer)
    answer = client.get(reverse("incidents:geojson")).json()
    newest = sorted(incidents, key=lambda i: (i.occurred_at, i.pk), reverse=True)[:2]
    assert [f["id"] for f in answer["features"]] == [i.pk for i in newest]
    assert answer["truncated"] is True
    assert client.get(reverse("incidents:geojson") + "?severity=critical").json()["truncated"] is False
    assert "data-truncated-text" in client.get(reverse("incidents:map")).content.decode()


def test_csv_export_is_redacted_and_safe_for_spreadsheets(shared_incident, verified_client, partner_officer, officer):
    Incident.objects.filter(pk=shared_incident.pk).update(description='=HYPERLINK("http://x")')
    partner_csv = b"".join(verified_client(partner_officer).get(reverse("incidents:csv")).streaming_content).decode()
    assert shared_incident.reference in partner_csv
    assert "Jonas Jonaitis" not in partner_csv
    assert "'=HYPERLINK" in partner_csv
    owner_csv = b"".join(verified_client(officer).get(reverse("incidents:csv")).streaming_content).decode()
    assert "Jonas Jonaitis" in owner_csv


def test_map_page_loads_leaflet_from_the_portal(verified_client, officer):
    body = verified_client(officer).get(reverse("incidents:map")).content.decode()
    assert "/static/leaflet/leaflet.js" in body and 'id="incident-map"' in body


def test_dashboard_counts_only_what_the_country_may_see(
    shared_incident, make_incident, verified_client, partner_officer, outsider_officer
):
    make_incident("draft")
    partner = dashboard_panel(verified_client(partner_officer).get(reverse("dashboard")), "incidents")["counts"]
    assert partner["total"] == 1 and partner["by_category"][0]["category"] == "smuggling_goods"
    outsider = dashboard_panel(verified_client(outsider_officer).get(reverse("dashboard")), "incidents")["counts"]
    assert outsider["total"] == 0


def test_map_area_filter(make_incident, verified_client, officer):
    from decimal import Decimal

    inside = make_incident(latitude=Decimal("54.6"), longitude=Decimal("25.3"))
    make_incident(latitude=Decimal("56.9"), longitude=Decimal("24.1"))
    client = verified_client(officer)
    rows = client.get(reverse("incidents:list"), {"bbox": "25,54,26,55"}).context["rows"]
    assert [r.pk for r in rows] == [inside.pk]
    bad = client.get(reverse("incidents:list"), {"bbox": "26,54,25"})
    assert "bbox" in bad.context["filters"].errors
    api = client.get("/api/v1/incidents/", {"bbox": "25,54,26,55"}).json()["results"]
    assert [r["id"] for r in api] == [inside.pk]
    assert client.get("/api/v1/incidents/", {"bbox": "x"}).status_code == 400


def test_partner_list_view_is_audited(shared_incident, verified_client, partner_officer):
    verified_client(partner_officer).get(reverse("incidents:list"))
    entry = audit_log().get(action="incident.listed", actor=partner_officer)
    assert entry.details["incidents"] == [shared_incident.pk]


def test_detail_query_count_is_bounded(
    shared_incident, verified_client, partner_officer, officer, django_assert_max_num_queries
):
    from incidents import services

    client = verified_client(partner_officer)
    for n in range(5):
        services.comment_add(incident=shared_incident, actor=officer, body=f"note {n}")
    with django_assert_max_num_queries(30) as first:
        client.get(reverse("incidents:detail", args=[shared_incident.pk]))
    for n in range(10):
        services.comment_add(incident=shared_incident, actor=officer, body=f"more {n}")
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(reverse("incidents:detail", args=[shared_incident.pk]))
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(f"/api/v1/incidents/{shared_incident.pk}/")


def test_search_finds_words_and_references(make_incident, verified_client, officer):
    lorry = make_incident(description="Cigarettes hidden under timber in a lorry")
    make_incident(description="Forged passport at the first line")
    client = verified_client(officer)
    assert [r.pk for r in client.get(reverse("incidents:list"), {"q": "timber"}).context["rows"]] == [lorry.pk]
    assert [r.pk for r in client.get(reverse("incidents:list"), {"q": lorry.reference}).context["rows"]] == [lorry.pk]
    assert client.get(reverse("incidents:list"), {"q": "helicopter"}).context["rows"] == []
