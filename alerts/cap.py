"""Alerts as OASIS CAP 1.2 XML (Common Alerting Protocol).

Date-times are written as CAP 1.2 §3.3.2 requires ("2002-05-24T16:49:00-07:00": whole seconds,
a numeric offset, never "Z"); the portal writes them in UTC, which CAP spells "-00:00".
`references` names every earlier message of the alert's thread (the same incident, to the same
country), oldest first, each as "sender,identifier,sent" exactly as that message was sent."""

import datetime
import xml.etree.ElementTree as ET  # builds XML only; nothing untrusted is parsed here

from django.conf import settings

from alerts.models import Alert
from portal.choices import IncidentCategory

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
SEVERITY = {"low": "Minor", "medium": "Moderate", "high": "Severe", "critical": "Extreme"}
URGENCY = {"low": "Future", "medium": "Expected", "high": "Immediate", "critical": "Immediate"}
CERTAINTY = {"1": "Observed", "2": "Likely", "3": "Possible", "4": "Unlikely", "5": "Unlikely", "6": "Unknown"}
AREA_RADIUS_KM = "5"


def cap_datetime(moment):
    """A CAP 1.2 date-time (§3.3.2) of an aware moment, in UTC: "2026-11-24T21:30:00-00:00"."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S") + "-00:00"


def _sender():
    return f"portal@{settings.PORTAL_DOMAIN.split(':')[0]}"


def _earlier_messages(alert):
    """The messages `alert` follows (its `references` chain), oldest first, in one query."""
    if not alert.references_id:
        return []
    thread = {
        row.pk: row
        for row in Alert.objects.filter(
            incident_id=alert.incident_id, country_id=alert.country_id, pk__lt=alert.pk
        ).only("identifier", "sent_at", "references_id")
    }
    chain: list[Alert] = []
    pk = alert.references_id
    while pk in thread and len(chain) < len(thread):
        chain.append(thread[pk])
        pk = thread[pk].references_id
    return chain[::-1]


def references_text(alert):
    """CAP `references`: "sender,identifier,sent" of each earlier message, separated by spaces."""
    sender = _sender()
    return " ".join(f"{sender},{m.identifier},{cap_datetime(m.sent_at)}" for m in _earlier_messages(alert))


def alert_cap_xml(alert):
    """The alert as a CAP 1.2 document (bytes), built from what the receiving country may see now
    (`alert.message`, see `incidents.access.alert_message`). A Cancel, and an alert whose share
    has ended, carry no `info` block: only identifiers, references and the reason in `note`."""
    message = alert.message
    data = message["incident"]
    ET.register_namespace("", CAP_NS)
    root = ET.Element(f"{{{CAP_NS}}}alert")

    def add(parent, tag, text):
        element = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
        element.text = text
        return element

    add(root, "identifier", str(alert.identifier))
    add(root, "sender", _sender())
    add(root, "sent", cap_datetime(alert.sent_at))
    add(root, "status", alert.status)
    add(root, "msgType", alert.msg_type)
    add(root, "scope", "Restricted")
    marking = f"TLP:{data['marking']}; " if data else ""
    add(root, "restriction", f"{marking}for the border authorities of {alert.country_id} only")
    if data is None:
        add(root, "note", f"{message['reference']}: {message['reason']}")
    references = references_text(alert)
    if references:
        add(root, "references", references)
    if data is None:
        return ET.tostring(root, encoding="utf-8", xml_declaration=True)
    info = ET.SubElement(root, f"{{{CAP_NS}}}info")
    add(info, "language", "en")
    add(info, "category", "Rescue" if data["category"] == "search_rescue" else "Security")
    label = str(dict(IncidentCategory.choices).get(data["category"], data["category"]))
    add(info, "event", label)
    add(info, "urgency", URGENCY.get(data["severity"], "Unknown"))
    add(info, "severity", SEVERITY.get(data["severity"], "Unknown"))
    add(info, "certainty", CERTAINTY.get(data["information_credibility"], "Unknown"))
    add(info, "senderName", data["agency"])
    place = data["border_sector"] or data["crossing_point"] or data["country"]
    add(info, "headline", f"{data['reference']}: {label} at {place}"[:160])
    if data["description"]:
        add(info, "description", data["description"])
    area = ET.SubElement(info, f"{{{CAP_NS}}}area")
    add(area, "areaDesc", " / ".join(x for x in [data["border_sector"], data["crossing_point"]] if x) or place)
    if data["latitude"] is not None:
        add(area, "circle", f"{data['latitude']},{data['longitude']} {AREA_RADIUS_KM}")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
