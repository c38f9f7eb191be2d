"""Agreement pages: parties see them, liaison officers of parties edit, everyone else gets 404."""

import hashlib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agreements import services
from agreements.models import Agreement, DataSharingClause, DocumentVersion
from tests.conftest import PDF_BYTES
from tests.helpers import audit_log, dashboard_panel

CLAUSE = {
    "categories": ["smuggling_goods", "document_fraud"],
    "max_marking": "AMBER",
    "retention_days": 30,
    "purpose": "Risk analysis",
    "personal_data": False,
    "mode": "automatic",
}


@pytest.fixture
def agreement(make_agreement, lithuania, owner_liaison):
    from portal.models import Country

    agreement = make_agreement(
        "draft", clause={**CLAUSE, "provider": Country.objects.get(pk="PL"), "receiver": lithuania}
    )
    services.dispute_raise(agreement=agreement, actor=owner_liaison, subject="Retention", description="Too long")
    services.document_upload(
        agreement=agreement, actor=owner_liaison, title="Draft", upload=SimpleUploadedFile("draft.pdf", PDF_BYTES)
    )
    return agreement


def page_urls(agreement):
    clause = agreement.clauses.get()
    version = DocumentVersion.objects.get(document__agreement=agreement)
    dispute = agreement.disputes.get()
    pk = agreement.pk
    return [
        reverse("agreements:detail", args=[pk]),
        reverse("agreements:edit", args=[pk]),
        reverse("agreements:transition", args=[pk, "negotiation"]),
        reverse("agreements:amend", args=[pk]),
        reverse("agreements:clause_create", args=[pk]),
        reverse("agreements:clause_edit", args=[pk, clause.pk]),
        reverse("agreements:clause_delete", args=[pk, clause.pk]),
        reverse("agreements:clauses_iep", args=[pk]),
        reverse("agreements:document_create", args=[pk]),
        reverse("agreements:document_version", args=[pk, version.document_id]),
        reverse("agreements:download", args=[pk, version.pk]),
        reverse("agreements:dispute_create", args=[pk]),
        reverse("agreements:dispute", args=[pk, dispute.pk]),
    ]


def test_outsider_gets_404_on_every_page_and_sees_nothing_listed(agreement, verified_client, outsider_liaison):
    client = verified_client(outsider_liaison)
    for url in page_urls(agreement):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"reason": "x", "body": "x", "subject": "x"}).status_code == 404, url
    listing = client.get(reverse("agreements:list")).content.decode()
    assert agreement.reference not in listing
    assert "No agreement matches" in listing
    agreement.refresh_from_db()
    assert agreement.status == "draft" and agreement.clauses.count() == 1


def test_missing_agreement_answers_like_a_forbidden_one(verified_client, outsider_liaison, agreement):
    client = verified_client(outsider_liaison)
    missing = client.get(reverse("agreements:detail", args=[agreement.pk + 1000]))
    forbidden = client.get(reverse("agreements:detail", args=[agreement.pk]))
    assert missing.status_code == forbidden.status_code == 404

    def without_csrf(response):
        # Only the form token and the language switcher's return path differ.
        return re.sub(rb'name="(csrfmiddlewaretoken|next)" (type="hidden" )?value="[^"]+"', b"", response.content)

    assert without_csrf(missing) == without_csrf(forbidden)


def test_party_officer_reads_but_cannot_edit(agreement, verified_client, partner_officer):
    client = verified_client(partner_officer)
    detail = client.get(reverse("agreements:detail", args=[agreement.pk]))
    assert detail.status_code == 200
    body = detail.content.decode()
    assert "Poland shares smuggling of goods and document fraud incidents up to TLP:AMBER with Lithuania" in body
    assert reverse("agreements:edit", args=[agreement.pk]) not in body
    response = client.post(reverse("agreements:transition", args=[agreement.pk, "negotiation"]))
    assert response.status_code == 403
    agreement.refresh_from_db()
    assert agreement.status == "draft"


def test_clause_sentence_in_plain_words(agreement, verified_client, owner_liaison):
    body = verified_client(owner_liaison).get(reverse("agreements:detail", args=[agreement.pk])).content.decode()
    assert (
        "Poland shares smuggling of goods and document fraud incidents up to TLP:AMBER with Lithuania, "
        "automatically; personal data withheld; kept 30 days."
    ) in body


def test_liaison_creates_agreement_in_browser_form(
    verified_client, owner_liaison, owner_agency, partner_agency, partner_liaison
):
    client = verified_client(owner_liaison)
    response = client.post(
        reverse("agreements:create"),
        {
            "kind": "mou",
            "reference": "LT-PL/2026/7",
            "title": "Joint risk analysis",
            "parties": [owner_agency.pk, partner_agency.pk],
            "liaison_officers": [owner_liaison.pk, partner_liaison.pk],
        },
    )
    assert response.status_code == 302
    agreement = Agreement.objects.get(reference="LT-PL/2026/7")
    assert sorted(agreement.parties.values_list("country_id", flat=True)) == ["LT", "PL"]


def test_agreement_form_errors_next_to_fields(verified_client, owner_liaison, owner_agency):
    client = verified_client(owner_liaison)
    response = client.post(
        reverse("agreements:create"), {"kind": "mou", "reference": "", "title": "t", "parties": [owner_agency.pk]}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "reference" in errors and "parties" in errors
    assert Agreement.objects.count() == 0


def test_transition_refusal_shows_a_clear_message(agreement, verified_client, owner_liaison):
    client = verified_client(owner_liaison)
    client.post(reverse("agreements:transition", args=[agreement.pk, "negotiation"]))
    response = client.post(reverse("agreements:transition", args=[agreement.pk, "signed"]))
    assert response.status_code == 200
    assert "Enter the date of signature" in response.content.decode()
    agreement.refresh_from_db()
    assert agreement.status == "negotiation"


def test_download_checks_access_and_serves_the_exact_file(agreement, verified_client, partner_officer):
    version = DocumentVersion.objects.get(document__agreement=agreement)
    response = verified_client(partner_officer).get(reverse("agreements:download", args=[agreement.pk, version.pk]))
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert content == PDF_BYTES
    assert hashlib.sha256(content).hexdigest() == version.sha256
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="draft.pdf"' in response["Content-Disposition"]
    assert audit_log().filter(action="document.downloaded", actor=partner_officer).exists()


def test_document_stored_under_a_safe_name(agreement):
    version = DocumentVersion.objects.get(document__agreement=agreement)
    assert "draft" not in version.file.name.rsplit("/", 1)[-1]
    assert version.file.name.endswith(".pdf")


def test_iep_export(agreement, verified_client, partner_officer):
    response = verified_client(partner_officer).get(reverse("agreements:clauses_iep", args=[agreement.pk]))
    data = response.json()
    assert data["iep_version"] == 2.0
    assert data["policies"][0]["tlp"] == "amber"
    assert data["clauses"][0]["directions"] == ["PL->LT"]
    assert data["clauses"][0]["retention_days"] == 30


def test_list_filters(make_agreement, verified_client, owner_liaison):
    import datetime

    from django.utils import timezone

    soon = make_agreement("draft", title="Expiring", expires_on=timezone.localdate() + datetime.timedelta(days=20))
    later = make_agreement("draft", title="Later", expires_on=timezone.localdate() + datetime.timedelta(days=400))
    client = verified_client(owner_liaison)
    page = client.get(reverse("agreements:list"), {"expiring_within": 30}).context["page"]
    assert [a.pk for a in page] == [soon.pk]
    page = client.get(reverse("agreements:list"), {"q": "Later"}).context["page"]
    assert [a.pk for a in page] == [later.pk]
    page = client.get(reverse("agreements:list"), {"partner": "PL", "status": "draft"}).context["page"]
    assert {a.pk for a in page} == {soon.pk, later.pk}
    bad = client.get(reverse("agreements:list"), {"expiring_within": "soon"})
    assert bad.status_code == 200 and "expiring_within" in bad.context["filters"].errors


def test_dispute_thread_and_resolution(agreement, verified_client, partner_liaison, owner_liaison):
    dispute = agreement.disputes.get()
    client = verified_client(partner_liaison)
    url = reverse("agreements:dispute", args=[agreement.pk, dispute.pk])
    client.post(url, {"body": "We propose 20 days."})
    first = dispute.messages.get()
    client.post(url, {"body": "Agreed.", "parent": first.pk})
    assert dispute.messages.get(body="Agreed.").parent == first
    response = client.post(url, {"status": "resolved", "resolution": ""})
    assert "Describe how the dispute was resolved" in response.content.decode()
    client.post(url, {"status": "resolved", "resolution": "Retention lowered to 20 days."})
    dispute.refresh_from_db()
    assert dispute.status == "resolved"


def test_clause_form_refuses_non_party_and_red(agreement, verified_client, owner_liaison):
    client = verified_client(owner_liaison)
    response = client.post(
        reverse("agreements:clause_create", args=[agreement.pk]),
        {
            "provider": "FI",
            "categories": ["other"],
            "max_marking": "RED",
            "retention_days": 10,
            "mode": "automatic",
            "purpose": "x",
        },
    )
    assert response.status_code == 200
    assert {"provider", "max_marking"} <= set(response.context["form"].errors)
    assert DataSharingClause.objects.count() == 1


def test_dashboard_counts_only_agreements_of_the_users_country(
    make_agreement, verified_client, partner_officer, outsider_officer
):
    import datetime

    from django.utils import timezone

    make_agreement("in_force", expires_on=timezone.localdate() + datetime.timedelta(days=30), reference="EXP/1")
    partner_page = verified_client(partner_officer).get(reverse("dashboard"))
    assert dashboard_panel(partner_page, "agreements")["in_force"] == 1
    assert "EXP/1" in partner_page.content.decode()
    outsider_page = verified_client(outsider_officer).get(reverse("dashboard"))
    assert dashboard_panel(outsider_page, "agreements")["in_force"] == 0
    assert "EXP/1" not in outsider_page.content.decode()


def test_party_officer_reads_disputes_but_does_not_write(agreement, verified_client, partner_officer):
    dispute = agreement.disputes.get()
    client = verified_client(partner_officer)
    url = reverse("agreements:dispute", args=[agreement.pk, dispute.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Add message" not in page.content.decode()
    assert client.post(url, {"body": "Me too"}).status_code == 403
    assert dispute.messages.count() == 0
