"""Requests for information between countries (Directive (EU) 2023/977): single points of
contact, time limits and their clocks, extensions, answers, refusals, personal data under a
clause, routing, withdrawal, reminders and escalations, and who sees what (LT asks PL; FI is the
country that must see nothing)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from exchange import selectors, services
from exchange.models import HitCheck, InformationRequest, RefusalGround
from portal.models import Notification
from tests.conftest import PDF_BYTES
from tests.factories import AgencyFactory, UserFactory
from tests.helpers import audit_log, dashboard_panel

pytestmark = pytest.mark.django_db


def _pdf(name="answer.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def _pages(info_request, attachment=None):
    pk = info_request.pk
    urls = [
        reverse(f"exchange:request_{name}", args=[pk]) for name in ("detail", "answer", "extend", "route", "withdraw")
    ]
    if attachment is not None:
        urls.append(reverse("exchange:request_attachment", args=[pk, attachment.pk]))
    return urls


# --- Single points of contact -------------------------------------------------------------------


def test_spoc_is_set_by_liaison_or_administrator_of_the_country_and_listed_for_everyone(
    owner_agency, owner_liaison, agency_admin, officer, outsider_officer, partner_agency, signed_in
):
    spoc = services.spoc_set(
        actor=agency_admin, agency=owner_agency, languages=["lt", "EN"], always_open=False, hours="8-20", phone="+370 5"
    )
    assert (spoc.country_id, spoc.languages, spoc.hours) == ("LT", ["lt", "en"], "8-20")
    with pytest.raises(PermissionDenied):
        services.spoc_set(actor=officer, agency=owner_agency, languages=["lt"], email="a@example.org")
    with pytest.raises(ValidationError) as refused:
        services.spoc_set(actor=owner_liaison, agency=partner_agency, languages=["xx"], always_open=False)
    assert set(refused.value.message_dict) == {"agency", "languages", "hours", "email"}
    assert audit_log().filter(action="exchange.spoc_set").count() == 1
    page = signed_in(outsider_officer).get(reverse("exchange:spoc_list"))
    assert page.status_code == 200 and owner_agency.name in page.content.decode()


def test_request_needs_a_spoc_in_the_requested_country(owner_liaison, poland):
    with pytest.raises(ValidationError, match="no single point of contact"):
        services.request_send(
            actor=owner_liaison,
            requested_country=poland,
            subject="s",
            sought="s",
            purpose="p",
        )


# --- Sending ------------------------------------------------------------------------------------


def test_sent_request_is_numbered_per_country_and_routed_to_the_spoc(send, spocs, partner_liaison, partner_supervisor):
    first, second = send(), send()
    year = timezone.now().year
    assert first.reference == f"RFI-LT-{year}-000001" and second.reference == f"RFI-LT-{year}-000002"
    assert first.routed_to == spocs["PL"].agency and first.status == "sent"
    assert [(i.kind, i.value, i.country_id) for i in first.identifiers.all()] == [("plate", "WPR4471K", "PL")]
    assert first.due_at - first.sent_at == datetime.timedelta(days=7)
    told = set(Notification.objects.filter(url__endswith=f"/{first.pk}/").values_list("user__username", flat=True))
    assert told == {partner_liaison.username, partner_supervisor.username}
    assert audit_log().filter(action="exchange.request_sent", object_id=str(first.pk)).exists()


def test_officer_without_liaison_or_supervisor_role_sends_no_request(send, officer):
    with pytest.raises(PermissionDenied):
        send(actor=officer)


def test_wrong_identifier_is_named(send):
    with pytest.raises(ValidationError) as refused:
        send(identifiers=[{"kind": "plate", "value": "WPR1", "country": "PL"}, {"kind": "vin", "value": "123"}])
    assert "Identifier 2" in str(refused.value.message_dict["identifiers"])
    assert not InformationRequest.objects.exists()


def test_legal_basis_is_an_agreement_in_force_between_the_two_countries(send, make_agreement, lt_pl_in_force):
    assert send(legal_basis="agreement", agreement=lt_pl_in_force).agreement == lt_pl_in_force
    draft = make_agreement("negotiation")
    with pytest.raises(ValidationError, match="in force today"):
        send(legal_basis="agreement", agreement=draft)
    with pytest.raises(ValidationError):
        send(legal_basis="agreement", agreement=None)


def test_linked_incident_the_sender_cannot_see_is_refused_without_saying_whose(
    send, spocs, partner_liaison, make_incident, lt_pl_in_force, outsider_officer, owner_liaison, lithuania
):
    from incidents import services as incident_services

    own = make_incident()
    finnish = incident_services.incident_create(
        actor=outsider_officer,
        category="smuggling_goods",
        occurred_at=timezone.now() - datetime.timedelta(hours=1),
        description="Finnish incident",
        marking="GREEN",
        severity="low",
    )
    info_request = send(linked_incidents=[own])
    assert list(info_request.linked_incidents.all()) == [own]
    for hidden in (finnish, finnish.pk, 987654):
        with pytest.raises(ValidationError) as refused:
            send(linked_incidents=[own, hidden])
        assert refused.value.message_dict == {"linked_incidents": ["Link only incidents you may see."]}
    # PL sees the link as a reference, not as a link, while LT's incident is not shared with it.
    assert selectors.linked_incidents_seen_by(owner_liaison, info_request) == [(own.reference, own.pk)]
    assert selectors.linked_incidents_seen_by(partner_liaison, info_request) == [(own.reference, None)]


def hit_of(agency, incident, *, holder="PL", reference="R"):
    """A hit of a check by `agency` on `incident`, held by `holder` under `reference`."""
    from exchange.models import Hit

    check = HitCheck.objects.create(
        searching_country=agency.country,
        searching_agency=agency,
        searcher_label="x",
        kind="plate",
        digest="0" * 64,
        purpose="p",
    )
    return Hit.objects.create(search=check, holder_country_id=holder, incident=incident, reference=reference)


def test_request_may_follow_only_a_hit_of_the_senders_country(send, owner_agency, outsider_agency, make_incident):
    incident = make_incident()
    own, foreign = hit_of(owner_agency, incident), hit_of(outsider_agency, incident)
    assert send(hit=own).hit == own
    with pytest.raises(ValidationError, match="not from a check of your country"):
        send(hit=foreign)


def test_request_pages_name_the_hit_only_to_the_country_that_holds_it(
    send, owner_agency, outsider_agency, owner_liaison, partner_liaison, outsider_liaison, make_incident, signed_in
):
    incident = make_incident()
    hit = hit_of(owner_agency, incident, holder="PL", reference="PL-SG-2026-000777")
    new = reverse("exchange:request_create")
    assert hit.reference in signed_in(owner_liaison).get(new, {"hit": hit.pk}).content.decode()
    # Another country's check is no hit to follow: the form names none.
    foreign = hit_of(outsider_agency, incident, holder="PL", reference="PL-SG-2026-000778")
    lt = signed_in(owner_liaison)
    assert foreign.reference not in lt.get(new, {"hit": foreign.pk}).content.decode()
    refused = lt.post(new, {"hit": foreign.pk, "identifiers-TOTAL_FORMS": "0", "identifiers-INITIAL_FORMS": "0"})
    assert refused.status_code == 200 and foreign.reference not in refused.content.decode()

    def page(user, info_request):
        return signed_in(user).get(reverse("exchange:request_detail", args=[info_request.pk])).content.decode()

    assert hit.reference in page(partner_liaison, send(hit=hit))
    # A request follows a hit to its holder only: PL's reference never goes to another country.
    with pytest.raises(ValidationError, match="another country than the one you ask"):
        send(hit=hit, requested_country=outsider_agency.country)
    assert not InformationRequest.objects.filter(hit=hit, requested_country=outsider_agency.country).exists()


# --- Time limits and their clocks ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("urgent", "direct", "limit"),
    [
        (True, True, datetime.timedelta(hours=8)),
        (True, False, datetime.timedelta(days=3)),
        (False, True, datetime.timedelta(days=7)),
        (False, False, datetime.timedelta(days=7)),
    ],
    ids=["urgent-direct-8h", "urgent-indirect-3d", "other-7d", "other-indirect-7d"],
)
def test_time_limit_runs_from_sending_and_is_overdue_after_it(
    send, clock, urgent, direct, limit, owner_liaison, partner_liaison, signed_in
):
    info_request = send(urgent=urgent, directly_accessible=direct)
    assert info_request.due_at == info_request.sent_at + limit
    clock.advance(seconds=limit.total_seconds() - 60)
    before = selectors.request_clock(info_request)
    assert before.is_open and not before.overdue and before.label == "due in 1 minute"
    assert not selectors.request_search(partner_liaison, overdue=True).exists()
    clock.advance(minutes=2)
    after = selectors.request_clock(info_request)
    assert after.overdue and after.label == "overdue by 1 minute"
    assert list(selectors.request_search(partner_liaison, box="received", overdue=True)) == [info_request]
    clock.advance(days=2)
    for user in (owner_liaison, partner_liaison):  # both sides see the clock, computed at the read
        page = signed_in(user).get(reverse("exchange:request_detail", args=[info_request.pk]))
        assert "overdue by 2 days" in page.content.decode()


def test_clock_words():
    assert selectors.duration_words(datetime.timedelta(hours=5, minutes=12)) == "5 h 12 min"
    assert selectors.duration_words(datetime.timedelta(days=2, hours=3)) == "2 days 3 h"
    assert selectors.duration_words(datetime.timedelta(days=1)) == "1 day"


def test_extension_needs_a_reason_and_a_later_time_and_moves_the_limit(
    send, partner_liaison, owner_liaison, outsider_liaison, clock
):
    info_request = send()
    later = info_request.due_at + datetime.timedelta(days=3)
    with pytest.raises(ValidationError) as refused:
        services.request_extend(request=info_request, actor=partner_liaison, due_at=info_request.due_at, reason=" ")
    assert set(refused.value.message_dict) == {"due_at", "reason"}
    for stranger in (owner_liaison, outsider_liaison):
        with pytest.raises(PermissionDenied):
            services.request_extend(request=info_request, actor=stranger, due_at=later, reason="More time")
    extension = services.request_extend(
        request=info_request, actor=partner_liaison, due_at=later, reason="Held by customs"
    )
    info_request.refresh_from_db()
    assert info_request.due_at == later and extension.previous_due_at == later - datetime.timedelta(days=3)
    clock.advance(days=8)
    shown = selectors.request_clock(info_request)
    assert shown.extended and not shown.overdue
    assert Notification.objects.filter(user=owner_liaison, title__startswith="More time").exists()
    assert audit_log().filter(action="exchange.request_extended").count() == 1


def test_sweep_reminds_once_and_escalates_once(send, clock, partner_liaison, partner_supervisor, owner_liaison):
    info_request = send(urgent=True, directly_accessible=True)  # 8 hours: reminded with 2 hours left
    clock.advance(hours=5, minutes=59)
    assert services.requests_sweep_deadlines() == (0, 0)
    clock.advance(minutes=2)
    assert services.requests_sweep_deadlines() == (1, 0)
    assert services.requests_sweep_deadlines() == (0, 0)
    reminded = Notification.objects.filter(title__endswith="is due soon")
    assert set(reminded.values_list("user", flat=True)) == {partner_liaison.pk, partner_supervisor.pk}
    clock.advance(hours=2, minutes=1)
    from exchange.tasks import sweep_deadlines

    assert sweep_deadlines() == {"reminded": 0, "escalated": 1}
    assert sweep_deadlines() == {"reminded": 0, "escalated": 0}
    escalated = Notification.objects.filter(title__endswith="is overdue")
    assert set(escalated.values_list("user", flat=True)) == {partner_supervisor.pk, owner_liaison.pk}
    info_request.refresh_from_db()
    assert info_request.reminded_at and info_request.escalated_at
    assert audit_log().filter(action__in=["exchange.request_reminded", "exchange.request_escalated"]).count() == 2


def test_reminder_share_of_each_limit(send):
    for urgent, direct, left in ((True, True, 2), (True, False, 18), (False, True, 42)):
        info_request = send(urgent=urgent, directly_accessible=direct)
        assert info_request.due_at - services.reminder_due_at(info_request) == datetime.timedelta(hours=left)


# --- Answers ---------------------------------------------------------------------------------------


def test_full_answer_closes_and_only_the_receiving_side_answers(send, partner_liaison, owner_liaison, outsider_liaison):
    info_request = send()
    for stranger in (owner_liaison, outsider_liaison):
        with pytest.raises(PermissionDenied):
            services.request_answer(request=info_request, actor=stranger, kind="full", text="x")
    with pytest.raises(ValidationError, match="information provided"):
        services.request_answer(request=info_request, actor=partner_liaison, kind="full", text="")
    services.request_answer(request=info_request, actor=partner_liaison, kind="full", text="Keeper: a company")
    info_request.refresh_from_db()
    assert info_request.status == "answered" and info_request.closed_at is not None
    with pytest.raises(ValidationError, match="closed"):
        services.request_answer(request=info_request, actor=partner_liaison, kind="full", text="again")
    assert Notification.objects.filter(user=owner_liaison, title__endswith="was answered").exists()


def test_refusal_needs_a_listed_ground_and_reasons(send, partner_liaison):
    info_request = send()
    for ground in ("", "because"):
        with pytest.raises(ValidationError) as refused:
            services.request_answer(
                request=info_request, actor=partner_liaison, kind="refusal", refusal_ground=ground, refusal_text="x"
            )
        assert "refusal_ground" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.request_answer(
            request=info_request, actor=partner_liaison, kind="refusal", refusal_ground=RefusalGround.INVESTIGATION
        )
    assert "refusal_text" in refused.value.message_dict
    services.request_answer(
        request=info_request,
        actor=partner_liaison,
        kind="refusal",
        refusal_ground=RefusalGround.INVESTIGATION,
        refusal_text="An investigation is under way.",
    )
    info_request.refresh_from_db()
    assert info_request.status == "refused"


def test_partial_answer_needs_what_follows_and_when_and_more_may_follow(send, partner_liaison, clock):
    info_request = send()
    with pytest.raises(ValidationError) as refused:
        services.request_answer(request=info_request, actor=partner_liaison, kind="partial", text="Part")
    assert set(refused.value.message_dict) == {"follows", "follows_by"}
    services.request_answer(
        request=info_request,
        actor=partner_liaison,
        kind="partial",
        text="The keeper",
        follows="The crossings",
        follows_by=timezone.now() + datetime.timedelta(days=1),
    )
    info_request.refresh_from_db()
    assert info_request.status == "partial" and info_request.is_open()
    services.request_answer(request=info_request, actor=partner_liaison, kind="full", text="The crossings")
    info_request.refresh_from_db()
    assert info_request.status == "answered" and info_request.answers.count() == 2


def test_personal_data_is_refused_without_a_clause(send, partner_liaison, lt_pl_in_force):
    info_request = send()  # LT-PL: LT gives PL data; nothing lets PL give LT personal data
    with pytest.raises(ValidationError) as refused:
        services.request_answer(
            request=info_request, actor=partner_liaison, kind="full", text="x", personal_data="Jan Kowalski"
        )
    assert "personal_data" in refused.value.message_dict
    with pytest.raises(ValidationError):  # a file is taken to name a person unless said otherwise
        services.request_answer(request=info_request, actor=partner_liaison, kind="full", attachments=[_pdf()])
    assert not info_request.answers.exists()


def test_personal_data_is_shown_only_while_a_clause_allows_it(
    send, partner_liaison, owner_liaison, outsider_liaison, pl_gives_personal_data, clock, signed_in
):
    info_request = send()
    answer = services.request_answer(
        request=info_request,
        actor=partner_liaison,
        kind="full",
        text="Keeper found",
        personal_data="Jan Kowalski, born 1980",
        attachments=[(_pdf("licence.pdf"), True), (_pdf("route.pdf"), False)],
    )
    personal, plain = answer.attachments.order_by("original_name")
    detail = reverse("exchange:request_detail", args=[info_request.pk])
    personal_url = reverse("exchange:request_attachment", args=[info_request.pk, personal.pk])
    lt, pl = signed_in(owner_liaison), signed_in(partner_liaison)
    assert "Jan Kowalski" in lt.get(detail).content.decode()
    assert lt.get(personal_url).status_code == 200
    clock.advance(days=4)  # the agreement ended two days ago; no task has run
    lt, pl = signed_in(owner_liaison), signed_in(partner_liaison)  # sessions end sooner
    shown = lt.get(detail).content.decode()
    assert "Jan Kowalski" not in shown and "Personal data withheld" in shown and "licence.pdf" not in shown
    assert lt.get(personal_url).status_code == 404
    plain_url = reverse("exchange:request_attachment", args=[info_request.pk, plain.pk])
    assert lt.get(plain_url).status_code == 200
    assert "Jan Kowalski" in pl.get(detail).content.decode()  # what PL wrote, PL always sees
    assert signed_in(outsider_liaison).get(plain_url).status_code == 404


def test_attachment_type_is_read_from_its_content_and_its_stored_name_is_not_the_upload(
    send, pl_gives_personal_data, partner_liaison
):
    info_request = send()
    fake = SimpleUploadedFile("photo.jpg", b"MZ not a photo at all", content_type="image/jpeg")
    with pytest.raises(ValidationError, match="only photos"):
        services.request_answer(request=info_request, actor=partner_liaison, kind="full", attachments=[fake])
    answer = services.request_answer(
        request=info_request, actor=partner_liaison, kind="full", attachments=[_pdf("../../etc/passwd.pdf")]
    )
    stored = answer.attachments.get()
    assert stored.original_name == "passwd.pdf" and "passwd" not in stored.file.name
    assert stored.content_type == "application/pdf" and len(stored.sha256) == 64


# --- Routing and withdrawal --------------------------------------------------------------------------


def test_spoc_routes_to_the_agency_that_holds_it_which_then_handles_it(
    send, partner_liaison, partner_agency, owner_liaison, signed_in
):
    customs = AgencyFactory(code="PL-KAS", name="Polish customs", country=partner_agency.country)
    customs_liaison = UserFactory(username="pl.customs", agency=customs, is_officer=False, is_liaison=True)
    other = AgencyFactory(code="PL-POL", name="Polish police", country=partner_agency.country)
    other_liaison = UserFactory(username="pl.police", agency=other, is_officer=False, is_liaison=True)
    info_request = send()
    assert not selectors.requests_visible_to(customs_liaison).exists()
    with pytest.raises(PermissionDenied):
        services.request_route(request=info_request, actor=owner_liaison, agency=customs)
    with pytest.raises(ValidationError):
        services.request_route(request=info_request, actor=partner_liaison, agency=owner_liaison.agency)
    services.request_route(request=info_request, actor=partner_liaison, agency=customs, reason="Customs hold it")
    info_request.refresh_from_db()
    assert info_request.routed_to == customs
    assert list(selectors.requests_visible_to(customs_liaison)) == [info_request]
    assert list(selectors.requests_visible_to(partner_liaison)) == [info_request]  # the SPOC still sees it
    assert not selectors.requests_visible_to(other_liaison).exists()
    assert Notification.objects.filter(user=customs_liaison).exists()
    services.request_answer(request=info_request, actor=customs_liaison, kind="full", text="From customs")
    assert audit_log().filter(action="exchange.request_routed").count() == 1
    assert signed_in(other_liaison).get(reverse("exchange:request_detail", args=[info_request.pk])).status_code == 404


def test_requesting_side_withdraws_while_open(send, partner_liaison, owner_liaison, outsider_liaison):
    info_request = send()
    for stranger in (partner_liaison, outsider_liaison):
        with pytest.raises(PermissionDenied):
            services.request_withdraw(request=info_request, actor=stranger)
    services.request_withdraw(request=info_request, actor=owner_liaison, reason="Found elsewhere")
    info_request.refresh_from_db()
    assert info_request.status == "withdrawn" and not selectors.request_clock(info_request).is_open
    with pytest.raises(ValidationError, match="closed"):
        services.request_withdraw(request=info_request, actor=owner_liaison)
    with pytest.raises(ValidationError, match="closed"):
        services.request_answer(request=info_request, actor=partner_liaison, kind="full", text="late")
    assert Notification.objects.filter(user=partner_liaison, title__endswith="was withdrawn").exists()


# --- Who sees what -----------------------------------------------------------------------------------


def test_third_country_gets_404_on_every_request_page_and_sees_none_in_lists(
    send, partner_liaison, owner_liaison, outsider_liaison, outsider_supervisor, pl_gives_personal_data, signed_in
):
    info_request = send(subject="Lorry keeper XYZ")
    answer = services.request_answer(
        request=info_request,
        actor=partner_liaison,
        kind="partial",
        text="t",
        follows="f",
        follows_by=timezone.now() + datetime.timedelta(days=1),
        attachments=[(_pdf(), False)],
    )
    attachment = answer.attachments.get()
    for user, expected in ((owner_liaison, 200), (partner_liaison, 200), (outsider_liaison, 404)):
        client = signed_in(user)
        detail, *actions = _pages(info_request, attachment)
        assert client.get(detail).status_code == expected, user
        for url in actions:
            assert client.get(url).status_code in ({200, 302} if expected == 200 else {404}), (user, url)
            if expected == 404:
                assert client.post(url, {"kind": "full", "text": "x", "reason": "x"}).status_code == 404
        for box in ("sent", "received"):
            listed = client.get(reverse("exchange:request_list"), {"box": box, "q": "XYZ"}).content.decode()
            assert ("Lorry keeper XYZ" in listed) == (
                (user, box) in {(owner_liaison, "sent"), (partner_liaison, "received")}
            )
    assert not selectors.requests_visible_to(outsider_supervisor).exists()
    panel = dashboard_panel(signed_in(outsider_supervisor).get("/"), "exchange")
    assert panel["received_count"] == 0 and panel["sent_open"] == 0
    pl_panel = dashboard_panel(signed_in(partner_liaison).get("/"), "exchange")
    assert pl_panel["received_count"] == 1 and pl_panel["received"][0].clock.label.startswith("due in")
    info_request.refresh_from_db()
    assert info_request.status == "partial"  # nobody's POST changed it


def test_reads_by_the_other_country_are_audited(send, partner_liaison, owner_liaison, signed_in):
    info_request = send()
    detail = reverse("exchange:request_detail", args=[info_request.pk])
    signed_in(owner_liaison).get(detail)
    assert not audit_log().filter(action="exchange.request_viewed").exists()
    signed_in(partner_liaison).get(detail)
    viewed = audit_log().filter(action="exchange.request_viewed", object_id=str(info_request.pk))
    assert list(viewed.values_list("actor_label", flat=True)) == [partner_liaison.username]
    services.request_answer(request=info_request, actor=partner_liaison, kind="full", text="Answer")
    signed_in(owner_liaison).get(detail)
    assert audit_log().filter(action="exchange.answers_viewed", actor_label=owner_liaison.username).exists()


# --- Pages ------------------------------------------------------------------------------------------


def test_new_request_form_is_prefilled_and_sends(spocs, owner_liaison, signed_in, poland):
    client = signed_in(owner_liaison)
    url = reverse("exchange:request_create")
    page = client.get(url, {"requested_country": "PL", "kind": "plate", "value": "WPR 4471K", "country": "PL"})
    assert page.status_code == 200
    form, rows = page.context["form"], page.context["identifiers"]
    assert form.initial["requested_country"] == "PL" and rows.forms[0].initial["value"] == "WPR 4471K"
    data = {
        "requested_country": "PL",
        "subject": "Keeper",
        "sought": "Who keeps it",
        "purpose": "Smuggling case",
        "legal_basis": "directive",
        "urgent": "on",
        "directly_accessible": "on",
        "identifiers-TOTAL_FORMS": "1",
        "identifiers-INITIAL_FORMS": "0",
        "identifiers-0-kind": "plate",
        "identifiers-0-value": "WPR 4471K",
        "identifiers-0-country": "PL",
    }
    response = client.post(url, data)
    info_request = InformationRequest.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{info_request.pk}/")
    assert info_request.due_at - info_request.sent_at == datetime.timedelta(hours=8)


def test_answer_page_asks_for_personal_data_only_where_a_clause_allows_it(
    send, partner_liaison, owner_liaison, lt_pl_in_force, signed_in
):
    """Without a clause that lets PL give LT personal data, the form has no personal-data field
    and no "shows a person" box: a file is sent as one that names nobody."""
    info_request = send()
    pl = signed_in(partner_liaison)
    url = reverse("exchange:request_answer", args=[info_request.pk])
    form = pl.get(url).context["form"]
    assert "personal_data" not in form.fields and "files_personal" not in form.fields
    sent = pl.post(url, {"kind": "full", "text": "Keeper: a leasing firm.", "files": [_pdf()]})
    assert sent.status_code == 302
    [attachment] = info_request.answers.get().attachments.all()
    assert attachment.personal_data is False
    assert (
        signed_in(owner_liaison)
        .get(reverse("exchange:request_attachment", args=[info_request.pk, attachment.pk]))
        .status_code
        == 200
    )


def test_answer_extend_route_and_withdraw_pages(send, owner_liaison, partner_liaison, signed_in):
    info_request = send()
    pl, lt = signed_in(partner_liaison), signed_in(owner_liaison)
    answer_url, extend_url, withdraw_url = (
        reverse(f"exchange:request_{name}", args=[info_request.pk]) for name in ("answer", "extend", "withdraw")
    )
    assert lt.get(answer_url).status_code == 302  # the requesting side is sent back to the request
    refused = pl.post(answer_url, {"kind": "refusal", "refusal_text": "No"})
    assert refused.status_code == 200 and "refusal_ground" in refused.context["form"].errors
    later = timezone.localtime(info_request.due_at + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert pl.post(extend_url, {"due_at": later, "reason": "Busy"}).status_code == 302
    assert lt.get(withdraw_url).status_code == 200
    assert lt.post(withdraw_url, {"reason": "No longer needed"}).status_code == 302
    info_request.refresh_from_db()
    assert info_request.status == "withdrawn" and info_request.extensions.count() == 1


def test_requests_link_shows_for_liaison_officers_and_supervisors(officer, owner_liaison, signed_in):
    url = reverse("exchange:request_list")
    assert url in signed_in(owner_liaison).get("/").content.decode()
    assert url not in signed_in(officer).get("/").content.decode()
