"""Requests for information over the API (/api/v1/exchange/requests/): partner systems list,
read, send, answer, extend and withdraw them with the scopes `requests:read` and
`requests:write`, through the same gate and services as the pages (LT asks PL; FI is the country
that must see nothing). Invalid input is a 400 naming each field, and changes nothing."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from alerts.models import Alert
from exchange import services
from exchange.api.views import AnswerAttachmentDownload, RequestDetail, RequestListCreate
from exchange.models import InformationRequest, RequestAnswer, RequestExtension
from portal.api.permissions import required_scope
from portal.models import APIScope
from tests.conftest import PDF_BYTES
from tests.factories import AgencyFactory
from tests.helpers import audit_log
from tests.openapi import assert_documented

pytestmark = pytest.mark.django_db

READ, WRITE = APIScope.REQUESTS_READ, APIScope.REQUESTS_WRITE
LIST = "/api/v1/exchange/requests/"


def key(api_key, agency, *scopes):
    _record, raw = api_key(scopes=list(scopes or (READ, WRITE)), agency=agency)
    return {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}


def detail_url(info_request, action=""):
    return f"{LIST}{info_request.pk}/{action + '/' if action else ''}"


def post(client, url, body, headers):
    return client.post(url, body, content_type="application/json", **headers)


def snapshot(info_request):
    """What a refused or invalid call must leave as it was."""
    info_request.refresh_from_db()
    return (
        info_request.status,
        info_request.due_at,
        info_request.closed_at,
        RequestAnswer.objects.filter(request=info_request).count(),
        RequestExtension.objects.filter(request=info_request).count(),
        Alert.objects.filter(info_request=info_request).count(),
        InformationRequest.objects.count(),
    )


@pytest.fixture
def keys(api_key, spocs, owner_agency, partner_agency, outsider_agency):
    """Keys with both scopes of each persona's SPOC agency."""
    return {
        code: key(api_key, agency)
        for code, agency in (("LT", owner_agency), ("PL", partner_agency), ("FI", outsider_agency))
    }


# --- Scopes, and who may see what ------------------------------------------------------------------


def test_the_scopes_are_declared_and_named():
    assert APIScope(READ).label == "Read requests for information sent and received"
    assert APIScope(WRITE).label == "Send, answer, extend and withdraw requests for information"
    assert required_scope(RequestListCreate, "GET") == READ and required_scope(RequestListCreate, "POST") == WRITE
    assert required_scope(RequestDetail, "GET") == READ and required_scope(AnswerAttachmentDownload, "GET") == READ


def test_a_key_without_requests_read_gets_403_and_one_without_requests_write_cannot_act(
    client, api_key, send, partner_agency
):
    info_request = send()
    before = snapshot(info_request)
    others = key(api_key, partner_agency, APIScope.ALERTS_READ, APIScope.INCIDENTS_READ, WRITE)
    for url in (LIST, detail_url(info_request)):
        response = client.get(url, **others)
        assert response.status_code == 403, url
        assert assert_documented(response)["error"]["code"] == "permission_denied"
    reader = key(api_key, partner_agency, READ)
    assert client.get(detail_url(info_request), **reader).status_code == 200
    for action, body in (
        ("answer", {"kind": "full", "text": "The keeper is known."}),
        ("extend", {"due_at": (info_request.due_at + datetime.timedelta(days=1)).isoformat(), "reason": "Files"}),
    ):
        response = post(client, detail_url(info_request, action), body, reader)
        assert response.status_code == 403, action
        assert_documented(response)
    assert snapshot(info_request) == before


def test_a_third_country_key_gets_404_on_a_request_that_exists_as_on_one_that_does_not(
    client, send, keys, partner_liaison
):
    info_request = send()
    answer = services.request_answer(
        request=info_request,
        actor=partner_liaison,
        kind="partial",
        text="Part of it",
        follows="The rest",
        follows_by=timezone.now() + datetime.timedelta(days=1),
        attachments=[(SimpleUploadedFile("keeper.pdf", PDF_BYTES, content_type="application/pdf"), False)],
    )
    attachment = answer.attachments.get()
    before = snapshot(info_request)
    outsider = keys["FI"]
    missing = InformationRequest(pk=987654321)
    calls = [
        ("get", "", None),
        ("get", f"attachments/{attachment.pk}", None),
        ("post", "answer", {"kind": "full", "text": "Nothing"}),
        ("post", "extend", {"due_at": (timezone.now() + datetime.timedelta(days=9)).isoformat(), "reason": "x"}),
        ("post", "withdraw", {}),
    ]
    for method, action, body in calls:
        responses = []
        for target in (info_request, missing):
            url = detail_url(target, action)
            response = client.get(url, **outsider) if method == "get" else post(client, url, body, outsider)
            responses.append((response.status_code, response.content))
        assert responses[0] == responses[1] and responses[0][0] == 404, (action, responses)
    assert snapshot(info_request) == before
    assert client.get(LIST, **outsider).json()["results"] == []


def test_a_key_of_an_agency_that_does_not_handle_the_request_sees_nothing_of_it(client, api_key, send, poland):
    info_request = send()
    customs = AgencyFactory(code="PL-KAS", name="Polish customs", country=poland)
    headers = key(api_key, customs)
    assert client.get(LIST, **headers).json()["results"] == []
    assert client.get(detail_url(info_request), **headers).status_code == 404


def test_the_list_shows_only_the_requests_the_country_is_a_party_to(
    client, send, keys, spocs, partner_liaison, outsider_liaison, lithuania, clock
):
    lt_to_pl = send()
    pl_to_fi = services.request_send(
        actor=partner_liaison,
        requested_country=outsider_liaison.agency.country,
        subject="PL asks FI",
        sought="s",
        purpose="p",
        urgent=True,
    )
    fi_to_lt = services.request_send(
        actor=outsider_liaison, requested_country=lithuania, subject="FI asks LT", sought="s", purpose="p"
    )

    def listed(code, **query):
        page = assert_documented(client.get(LIST, query, **keys[code]))
        return [(row["reference"], row["direction"]) for row in page["results"]]

    assert listed("LT") == [(fi_to_lt.reference, "received"), (lt_to_pl.reference, "sent")]
    assert listed("PL") == [(pl_to_fi.reference, "sent"), (lt_to_pl.reference, "received")]
    assert listed("FI") == [(fi_to_lt.reference, "sent"), (pl_to_fi.reference, "received")]
    assert listed("LT", direction="sent") == [(lt_to_pl.reference, "sent")]
    assert listed("PL", direction="received", q="lorry") == [(lt_to_pl.reference, "received")]
    assert listed("PL", status="open") == listed("PL")
    assert listed("PL", overdue="true") == []
    clock.advance(hours=9)  # PL's urgent request to FI (8 hours) is overdue; nothing ran meanwhile
    assert listed("PL", overdue="true") == [(pl_to_fi.reference, "sent")]
    row = assert_documented(client.get(LIST, {"overdue": "true"}, **keys["FI"]))["results"][0]
    assert (row["overdue"], row["status"], row["requesting_country"], row["requested_country"]) == (
        True,
        "sent",
        "PL",
        "FI",
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [({"direction": "both"}, "direction"), ({"status": "lost"}, "status"), ({"page": "9"}, "page")],
)
def test_a_bad_filter_is_invalid_input_naming_it(client, keys, send, query, field):
    send()
    response = client.get(LIST, query, **keys["LT"])
    assert response.status_code == 400
    assert list(assert_documented(response)["error"]["fields"]) == [field]


def test_the_detail_is_as_documented_and_the_receivers_read_is_audited(client, send, keys, lt_pl_in_force):
    info_request = send(urgent=True)
    body = assert_documented(client.get(detail_url(info_request), **keys["PL"]))
    assert body["reference"] == info_request.reference and body["direction"] == "received"
    assert body["identifiers"] == [{"kind": "plate", "value": "WPR4471K", "country": "PL"}]
    assert body["answers"] == [] and body["handled_by"] == "PL-SG" and body["requested_by"] == "lt.liaison"
    viewed = audit_log().filter(action="exchange.request_viewed", object_id=str(info_request.pk))
    assert list(viewed.values_list("actor_label", flat=True)) == [body_actor(keys["PL"])]
    assert_documented(client.get(detail_url(info_request), **keys["LT"]))
    assert viewed.count() == 1, "the requesting country reading its own request is no foreign read"


def body_actor(headers):
    return "api-key:" + headers["HTTP_AUTHORIZATION"].removeprefix("Api-Key ").partition(".")[0]


# --- Sending ---------------------------------------------------------------------------------------


def test_a_partner_system_sends_a_request(client, keys, spocs, lt_pl_in_force, make_incident):
    incident = make_incident("validated")
    response = post(
        client,
        LIST,
        {
            "requested_country": "pl",
            "subject": "Keeper of a lorry",
            "sought": "The registered keeper.",
            "purpose": "Investigation of cigarette smuggling.",
            "identifiers": [{"kind": "plate", "value": "wpr 4471k", "country": "PL"}],
            "linked_incidents": [incident.pk],
            "legal_basis": "agreement",
            "agreement": lt_pl_in_force.pk,
            "urgent": True,
            "directly_accessible": False,
        },
        keys["LT"],
    )
    assert response.status_code == 201, response.content
    body = assert_documented(response)
    info_request = InformationRequest.objects.get(pk=body["id"])
    assert info_request.requester is None and info_request.requester_label == body_actor(keys["LT"])
    assert (info_request.requested_country_id, info_request.agreement_id) == ("PL", lt_pl_in_force.pk)
    assert info_request.due_at - info_request.sent_at == datetime.timedelta(days=3)
    assert body["linked_incidents"] == [{"reference": incident.reference, "id": incident.pk}]
    assert body["agreement"] == lt_pl_in_force.reference and body["direction"] == "sent"
    sent = audit_log().get(action="exchange.request_sent")
    assert sent.actor_label == body_actor(keys["LT"])
    (alert,) = Alert.objects.filter(info_request=info_request)
    assert (alert.country_id, alert.request_event) == ("PL", "received")


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"subject": "", "sought": ""}, {"subject", "sought"}),
        ({"requested_country": "LT"}, {"requested_country"}),
        ({"requested_country": "XX"}, {"requested_country"}),
        ({"identifiers": [{"kind": "plate", "value": "??"}]}, {"identifiers"}),
        ({"legal_basis": "agreement", "agreement": 987654}, {"agreement"}),
        ({"linked_incidents": [987654]}, {"linked_incidents"}),
        ({"hit": 987654}, {"hit"}),
        ({"urgent": "very"}, {"urgent"}),
    ],
)
def test_an_invalid_request_is_a_400_naming_the_fields_and_sends_nothing(client, keys, spocs, changes, fields):
    body = {"requested_country": "PL", "subject": "s", "sought": "s", "purpose": "p", **changes}
    response = post(client, LIST, body, keys["LT"])
    assert response.status_code == 400, response.content
    assert set(assert_documented(response)["error"]["fields"]) == fields
    assert not InformationRequest.objects.exists() and not Alert.objects.exists()


def test_a_key_links_only_incidents_its_country_may_see(client, keys, spocs, make_incident):
    own = make_incident("validated")  # LT's, not shared with anyone: PL's key may not link it
    body = {"requested_country": "FI", "subject": "s", "sought": "s", "purpose": "p", "linked_incidents": [own.pk]}
    response = post(client, LIST, body, keys["PL"])
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["linked_incidents"]


# --- Answering, extending, withdrawing -------------------------------------------------------------


def test_the_receiving_system_answers_in_part_then_in_full(client, send, keys):
    info_request = send()
    follows_by = (timezone.now() + datetime.timedelta(days=2)).replace(microsecond=0)
    partial = {"kind": "partial", "text": "The keeper", "follows": "Crossings", "follows_by": follows_by.isoformat()}
    response = post(client, detail_url(info_request, "answer"), partial, keys["PL"])
    assert response.status_code == 201, response.content
    body = assert_documented(response)
    assert body["status"] == "partial" and body["closed_at"] is None
    (answer,) = body["answers"]
    assert (answer["kind"], answer["text"], answer["follows"], answer["refusal_ground"]) == (
        "partial",
        "The keeper",
        "Crossings",
        None,
    )
    assert answer["answered_by"] == body_actor(keys["PL"])
    response = post(client, detail_url(info_request, "answer"), {"kind": "full", "text": "Crossings"}, keys["PL"])
    assert assert_documented(response)["status"] == "answered"
    info_request.refresh_from_db()
    assert info_request.status == "answered" and info_request.answers.count() == 2
    assert all(a.answered_by is None for a in info_request.answers.all())
    assert audit_log().filter(action="exchange.request_answered").count() == 2


def test_a_refusal_names_its_ground(client, send, keys):
    info_request = send()
    refusal = {"kind": "refusal", "refusal_ground": "investigation", "refusal_text": "An investigation is under way."}
    body = assert_documented(post(client, detail_url(info_request, "answer"), refusal, keys["PL"]))
    assert body["status"] == "refused" and body["answers"][0]["refusal_ground"] == "investigation"


@pytest.mark.parametrize(
    ("answer", "fields"),
    [
        ({}, {"kind"}),
        ({"kind": "maybe"}, {"kind"}),
        ({"kind": "full"}, {"text"}),
        ({"kind": "partial", "text": "Some"}, {"follows", "follows_by"}),
        ({"kind": "partial", "text": "Some", "follows": "More", "follows_by": "2001-01-01T00:00:00Z"}, {"follows_by"}),
        ({"kind": "refusal"}, {"refusal_ground", "refusal_text"}),
        ({"kind": "refusal", "refusal_ground": "because", "refusal_text": "r"}, {"refusal_ground"}),
        ({"kind": "full", "text": "The keeper", "personal_data": "Jan Kowalski, born 1970"}, {"personal_data"}),
    ],
)
def test_an_invalid_answer_is_a_400_naming_the_fields_and_changes_nothing(client, send, keys, answer, fields):
    info_request = send()
    before = snapshot(info_request)
    response = post(client, detail_url(info_request, "answer"), answer, keys["PL"])
    assert response.status_code == 400, response.content
    assert set(assert_documented(response)["error"]["fields"]) == fields
    assert snapshot(info_request) == before


def test_the_requesting_side_may_not_answer_nor_extend_and_the_receiving_side_may_not_withdraw(client, send, keys):
    info_request = send()
    before = snapshot(info_request)
    later = (info_request.due_at + datetime.timedelta(days=1)).isoformat()
    for action, body, headers in (
        ("answer", {"kind": "full", "text": "Ours"}, keys["LT"]),
        ("extend", {"due_at": later, "reason": "More"}, keys["LT"]),
        ("withdraw", {}, keys["PL"]),
    ):
        response = post(client, detail_url(info_request, action), body, headers)
        assert response.status_code == 403, action
        assert_documented(response)
    assert snapshot(info_request) == before


def test_a_request_a_system_sent_is_withdrawn_by_its_agency_only(client, keys, spocs):
    body = {"requested_country": "PL", "subject": "s", "sought": "s", "purpose": "p"}
    info_request = InformationRequest.objects.get(pk=post(client, LIST, body, keys["LT"]).json()["id"])
    assert info_request.requester_id is None
    before = snapshot(info_request)
    assert post(client, detail_url(info_request, "withdraw"), {}, keys["PL"]).status_code == 403
    assert snapshot(info_request) == before
    assert post(client, detail_url(info_request, "withdraw"), {}, keys["LT"]).status_code == 200


def test_personal_data_of_an_answer_reaches_the_requesting_system_only_while_a_clause_allows_it(
    client, send, keys, pl_gives_personal_data, clock
):
    info_request = send()
    answer = {"kind": "full", "text": "The keeper is known.", "personal_data": "Jan Kowalski, born 1970"}
    assert post(client, detail_url(info_request, "answer"), answer, keys["PL"]).status_code == 201
    seen = assert_documented(client.get(detail_url(info_request), **keys["LT"]))
    assert seen["personal_data_allowed"] is True
    assert (seen["answers"][0]["personal_data"], seen["answers"][0]["personal_data_withheld"]) == (
        "Jan Kowalski, born 1970",
        False,
    )
    viewed = audit_log().filter(action="exchange.answers_viewed", object_id=str(info_request.pk))
    assert list(viewed.values_list("actor_label", flat=True)) == [body_actor(keys["LT"])]
    clock.advance(days=3)  # the agreement's last day has passed; nothing ran meanwhile
    seen = client.get(detail_url(info_request), **keys["LT"])
    text = seen.content.decode()
    body = assert_documented(seen)
    assert body["personal_data_allowed"] is False and "Kowalski" not in text
    assert (body["answers"][0]["personal_data"], body["answers"][0]["personal_data_withheld"]) == ("", True)
    own = assert_documented(client.get(detail_url(info_request), **keys["PL"]))
    assert own["answers"][0]["personal_data"] == "Jan Kowalski, born 1970", "the requested side sees what it wrote"


def test_files_of_answers_are_downloaded_through_the_request_and_personal_ones_only_under_a_clause(
    client, send, keys, partner_liaison, pl_gives_personal_data, clock
):
    info_request = send()
    services.request_answer(
        request=info_request,
        actor=partner_liaison,
        kind="full",
        text="Files",
        attachments=[
            (SimpleUploadedFile("licence.pdf", PDF_BYTES, content_type="application/pdf"), True),
            (SimpleUploadedFile("route.pdf", PDF_BYTES, content_type="application/pdf"), False),
        ],
    )
    body = assert_documented(client.get(detail_url(info_request), **keys["LT"]))
    files = {f["name"]: f for f in body["answers"][0]["attachments"]}
    assert set(files) == {"licence.pdf", "route.pdf"}
    response = client.get(files["licence.pdf"]["url"], **keys["LT"])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert assert_documented(response) == PDF_BYTES
    assert audit_log().filter(action="exchange.attachment_downloaded").count() == 1
    clock.advance(days=3)
    body = assert_documented(client.get(detail_url(info_request), **keys["LT"]))
    assert [f["name"] for f in body["answers"][0]["attachments"]] == ["route.pdf"]
    assert client.get(files["licence.pdf"]["url"], **keys["LT"]).status_code == 404
    assert client.get(files["route.pdf"]["url"], **keys["LT"]).status_code == 200
    assert client.get(files["licence.pdf"]["url"], **keys["PL"]).status_code == 200


def test_the_receiving_system_asks_for_more_time(client, send, keys):
    info_request = send()
    due = (info_request.due_at + datetime.timedelta(days=2)).replace(microsecond=0)
    for body, fields in (
        ({"due_at": info_request.due_at.isoformat(), "reason": "Files"}, {"due_at"}),
        ({"due_at": due.isoformat(), "reason": "  "}, {"reason"}),
        ({"due_at": "soon", "reason": "Files"}, {"due_at"}),
    ):
        before = snapshot(info_request)
        response = post(client, detail_url(info_request, "extend"), body, keys["PL"])
        assert response.status_code == 400 and set(assert_documented(response)["error"]["fields"]) == fields
        assert snapshot(info_request) == before
    response = post(
        client, detail_url(info_request, "extend"), {"due_at": due.isoformat(), "reason": "Files"}, keys["PL"]
    )
    body = assert_documented(response)
    assert response.status_code == 201 and body["extended"] is True
    assert datetime.datetime.fromisoformat(body["due_at"]) == due
    (extension,) = body["extensions"]
    assert extension["reason"] == "Files" and extension["asked_by"] == body_actor(keys["PL"])


def test_the_requesting_system_withdraws_and_a_closed_request_takes_nothing_more(client, send, keys):
    info_request = send()
    response = post(client, detail_url(info_request, "withdraw"), {"reason": "Solved"}, keys["LT"])
    assert response.status_code == 200 and assert_documented(response)["status"] == "withdrawn"
    before = snapshot(info_request)
    for action, body, headers in (
        ("withdraw", {}, keys["LT"]),
        ("answer", {"kind": "full", "text": "Late"}, keys["PL"]),
    ):
        response = post(client, detail_url(info_request, action), body, headers)
        assert response.status_code == 400
        assert assert_documented(response)["error"]["fields"] == {"non_field_errors": ["This request is closed."]}
    assert snapshot(info_request) == before
    assert audit_log().get(action="exchange.request_withdrawn").details == {"reason": "Solved"}


def test_people_signed_in_use_the_api_by_their_roles(client, send, partner_officer, partner_liaison, signed_in):
    info_request = send()
    officer = signed_in(partner_officer)
    assert officer.get(detail_url(info_request)).status_code == 404, "an officer does not handle requests"
    liaison = signed_in(partner_liaison)
    response = liaison.post(
        detail_url(info_request, "answer"), {"kind": "full", "text": "Known"}, content_type="application/json"
    )
    assert response.status_code == 201
    assert RequestAnswer.objects.get().answered_by == partner_liaison
