"""Alerts as OASIS CAP 1.2 XML (Common Alerting Protocol)."""

import xml.etree.ElementTree as ET  # builds XML only; nothing untrusted is parsed here

from django.conf import settings

from portal.choices import IncidentCategory

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
SEVERITY = {"low": "Minor", "medium": "Moderate", "high": "Severe", "critical": "Extreme"}
URGENCY = {"low": "Future", "medium": "Expected", "high": "Immediate", "critical": "Immediate"}
CERTAINTY = {"1": "Observed", "2": "Likely", "3": "Possible", "4": "Unlikely", "5": "Unlikely", "6": "Unknown"}
AREA_RADIUS_KM = "5"


def _stamp(moment):
    """CAP date-times: no fractions, an explicit offset ("2026-11-24T21:30:00+00:00")."""
    return moment.replace(microsecond=0).isoformat()


def _sender():
    return f"portal@{settings.PORTAL_DOMAIN.split(':')[0]}"


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
    add(root, "sent", _stamp(alert.sent_at))
    add(root, "status", alert.status)
    add(root, "msgType", alert.msg_type)
    add(root, "scope", "Restricted")
    marking = f"TLP:{data['marking']}; " if data else ""
    add(root, "restriction", f"{marking}for the border authorities of {alert.country_id} only")
    if data is None:
        add(root, "note", f"{message['reference']}: {message['reason']}")
    if alert.references_id:
        previous = alert.references
        add(root, "references", f"{_sender()},{previous.identifier},{_stamp(previous.sent_at)}")
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
