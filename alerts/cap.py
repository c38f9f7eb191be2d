"""Alerts as OASIS CAP 1.2 XML (Common Alerting Protocol).

Date-times are written as CAP 1.2 §3.3.2 requires ("2002-05-24T16:49:00-07:00": whole seconds,
a numeric offset, never "Z"); the portal writes them in UTC, which CAP spells "-00:00".
`references` names every earlier message of the alert's thread (the same incident, to the same
country), oldest first, each as "sender,identifier,sent" exactly as that message was sent.

A rise in a border sector's impact level is an Alert with one `info` of category Security. Its
urgency and severity follow the new level as an incident's follow its severity (the names are
shared: low Future/Minor, medium Expected/Moderate, high Immediate/Severe, critical
Immediate/Extreme). Its certainty follows how firmly the level says incidents are happening at
that border (EUROSUR: low, insignificant impact; critical, decisive impact): low Possible,
medium and high Likely, critical Observed. Its `area` is the sector: a polygon sector's outer
ring (one `polygon` per polygon, closed, "lat,lon" pairs as CAP §3.2.4 writes them), a line
sector a `circle` around the centre of its bounding box wide enough to hold every point.

An event of a request for information is an Alert (the first to a country), an Update (the next
ones) or a Cancel (its withdrawal), with one `info` of category Security, its event the request
event's name, urgency Immediate when the request is urgent or its answer is due soon (Expected
otherwise, Past once withdrawn), severity Unknown (a request states none), certainty Observed
(it happened), and the request's reference, event, time limit and kind of answer as parameters;
no `area`, since a request has no place. `references` names the earlier messages about the same
request to the same country."""

import datetime
import math
import xml.etree.ElementTree as ET  # builds XML only; nothing untrusted is parsed here

from django.conf import settings

from alerts.info_requests import EVENT_NAMES
from alerts.models import Alert, RequestEvent
from borders.geometry import haversine_km
from portal.choices import IncidentCategory

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
SEVERITY = {"low": "Minor", "medium": "Moderate", "high": "Severe", "critical": "Extreme"}
URGENCY = {"low": "Future", "medium": "Expected", "high": "Immediate", "critical": "Immediate"}
CERTAINTY = {"1": "Observed", "2": "Likely", "3": "Possible", "4": "Unlikely", "5": "Unlikely", "6": "Unknown"}
AREA_RADIUS_KM = "5"
LEVEL_CERTAINTY = {"low": "Possible", "medium": "Likely", "high": "Likely", "critical": "Observed"}
LEVEL_EVENT = "Border sector impact level raised"


def cap_datetime(moment):
    """A CAP 1.2 date-time (§3.3.2) of an aware moment, in UTC: "2026-11-24T21:30:00-00:00"."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S") + "-00:00"


def _sender():
    return f"portal@{settings.PORTAL_DOMAIN.split(':')[0]}"


def _earlier_messages(alert):
    """The messages `alert` follows (its `references` chain), oldest first, in one query."""
    if not alert.references_id:
        return []
    about = {"info_request_id": alert.info_request_id} if alert.is_request else {"incident_id": alert.incident_id}
    thread = {
        row.pk: row
        for row in Alert.objects.filter(**about, country_id=alert.country_id, pk__lt=alert.pk).only(
            "identifier", "sent_at", "references_id"
        )
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


def _add(parent, tag, text):
    element = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    element.text = text
    return element


def _root(alert, marking=""):
    """The `alert` element with what every message has: identifiers, times, type and scope, and
    to whom it is restricted (after the TLP `marking` of its content, when it has one)."""
    ET.register_namespace("", CAP_NS)
    root = ET.Element(f"{{{CAP_NS}}}alert")
    _add(root, "identifier", str(alert.identifier))
    _add(root, "sender", _sender())
    _add(root, "sent", cap_datetime(alert.sent_at))
    _add(root, "status", alert.status)
    _add(root, "msgType", alert.msg_type)
    _add(root, "scope", "Restricted")
    _add(root, "restriction", f"{marking}for the border authorities of {alert.country_id} only")
    return root


def _pair(position):
    """A GeoJSON [lon, lat] as CAP's "lat,lon"."""
    return f"{position[1]},{position[0]}"


def polygons_text(geometry):
    """CAP `polygon` values of a Polygon or MultiPolygon: each outer ring, closed."""
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    texts = []
    for polygon in polygons:
        ring = list(polygon[0])
        if ring[0] != ring[-1]:
            ring.append(ring[0])
        texts.append(" ".join(_pair(p) for p in ring))
    return texts


def circle_text(geometry, bbox):
    """A CAP `circle` ("lat,lon radius-km") around the centre of `bbox` that holds every point."""
    west, south, east, north = bbox
    lon, lat = (west + east) / 2, (south + north) / 2
    lines = [geometry["coordinates"]] if geometry["type"] == "LineString" else geometry["coordinates"]
    radius = max(haversine_km(lon, lat, p[0], p[1]) for line in lines for p in line)
    return f"{round(lat, 6)},{round(lon, 6)} {max(1, math.ceil(radius))}"


def level_cap_xml(alert):
    """A sector level alert as CAP 1.2 (bytes), from `alert.message` (served only while the
    receiver sees the sector: the caller reads through `alerts.selectors.alerts_for`)."""
    message = alert.message
    data = message["sector"]
    root = _root(alert)
    add = _add
    if data is None:  # not served by the API; kept empty should anything else call it
        return ET.tostring(root, encoding="utf-8", xml_declaration=True)
    info = ET.SubElement(root, f"{{{CAP_NS}}}info")
    add(info, "language", "en")
    add(info, "category", "Security")
    add(info, "event", LEVEL_EVENT)
    add(info, "urgency", URGENCY[data["level"]])
    add(info, "severity", SEVERITY[data["level"]])
    add(info, "certainty", LEVEL_CERTAINTY[data["level"]])
    add(info, "senderName", f"Border authorities of {data['country']}")
    add(info, "headline", f"{data['code']}: impact level raised from {data['previous_level']} to {data['level']}"[:160])
    add(
        info,
        "description",
        f"The impact level of border sector {data['code']} ({data['name']}, {data['country']}) was raised from "
        f"{data['previous_level']} to {data['level']} at {data['set_at']}. Reason: {data['reason']}",
    )
    add(info, "web", data["url"])
    for name, value in (
        ("sectorCode", data["code"]),
        ("sectorCountry", data["country"]),
        ("previousImpactLevel", data["previous_level"]),
        ("impactLevel", data["level"]),
    ):
        parameter = ET.SubElement(info, f"{{{CAP_NS}}}parameter")
        add(parameter, "valueName", name)
        add(parameter, "value", value)
    area = ET.SubElement(info, f"{{{CAP_NS}}}area")
    add(area, "areaDesc", f"{data['code']} {data['name']}")
    geometry = data["geometry"]
    if geometry["type"] in {"Polygon", "MultiPolygon"}:
        for text in polygons_text(geometry):
            add(area, "polygon", text)
    else:
        add(area, "circle", circle_text(geometry, data["bbox"]))
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _request_sender(data):
    """Who tells: the requesting country of what it asks and withdraws, the requested one of its
    answers and extensions, the portal of a time limit running out."""
    event = data["event"]
    if event == RequestEvent.DEADLINE_APPROACHING:
        return "Joint Operations Portal"
    if event in {RequestEvent.ANSWERED, RequestEvent.EXTENDED}:
        return f"Single point of contact of {data['requested_country']}"
    return f"Border authorities of {data['requesting_country']}"


def request_cap_xml(alert):
    """A request alert as CAP 1.2 (bytes), from `alert.message` (served only while the reader may
    read the request: the caller reads through `alerts.selectors.alerts_for`)."""
    data = alert.message["request"]
    root = _root(alert)
    add = _add
    references = references_text(alert)
    if references:
        add(root, "references", references)
    if data is None:  # not served by the API; kept empty should anything else call it
        return ET.tostring(root, encoding="utf-8", xml_declaration=True)
    event = data["event"]
    if event == RequestEvent.WITHDRAWN:
        urgency = "Past"
    elif data["urgent"] or event == RequestEvent.DEADLINE_APPROACHING:
        urgency = "Immediate"
    else:
        urgency = "Expected"
    label = EVENT_NAMES[event]
    info = ET.SubElement(root, f"{{{CAP_NS}}}info")
    add(info, "language", "en")
    add(info, "category", "Security")
    add(info, "event", label)
    add(info, "urgency", urgency)
    add(info, "severity", "Unknown")
    add(info, "certainty", "Observed")
    add(info, "senderName", _request_sender(data))
    add(info, "headline", f"{data['reference']}: {label}"[:160])
    due = cap_datetime(datetime.datetime.fromisoformat(data["due_at"]))
    description = (
        f"Request {data['reference']} from {data['requesting_country']} to {data['requested_country']}: "
        f"{data['subject']}. {'Urgent. ' if data['urgent'] else ''}Answer due {due}."
    )
    if data["answer_kind"]:
        description += f" Answer: {data['answer_kind']}."
    add(info, "description", description)
    add(info, "web", data["url"])
    parameters = [("requestReference", data["reference"]), ("requestEvent", event), ("dueAt", due)]
    if data["previous_due_at"]:
        parameters.append(("previousDueAt", cap_datetime(datetime.datetime.fromisoformat(data["previous_due_at"]))))
    if data["answer_kind"]:
        parameters.append(("answerKind", data["answer_kind"]))
    for name, value in parameters:
        parameter = ET.SubElement(info, f"{{{CAP_NS}}}parameter")
        add(parameter, "valueName", name)
        add(parameter, "value", value)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def alert_cap_xml(alert):
    """The alert as a CAP 1.2 document (bytes), built from what the receiving country may see now
    (`alert.message`, see `incidents.access.alert_message`). A Cancel, and an alert whose share
    has ended, carry no `info` block: only identifiers, references and the reason in `note`."""
    if alert.is_request:
        return request_cap_xml(alert)
    if alert.is_sector_level:
        return level_cap_xml(alert)
    message = alert.message
    data = message["incident"]
    root = _root(alert, marking=f"TLP:{data['marking']}; " if data else "")
    add = _add
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
