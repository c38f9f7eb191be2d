"""Shared incidents as STIX 2.1 bundles, valid under the OASIS validator's strict mode.

A bundle holds the incident, a sighting that says when the reporting agency saw it and where
(its location, when the incident has coordinates), the agency's identity, located at its
country, a report that refers to all of them, and the TLP 2.0 marking definitions they carry.
It is built from an incident the API has already read through the gate and redacted for the
reader (`incidents.selectors.incident_get`), and adds nothing the reader may not see: personal
data never goes into STIX, whatever the reader's clause allows.

Identifiers are stable, derived from the portal's own keys (`stix_id`), so that a consumer that
fetches an incident again recognises every object. The objects that describe the agency are
the same in every bundle, to the byte (`agency_objects`).
"""

import datetime
import uuid

import stix2
from django.utils import translation

from portal.choices import TLP, IncidentCategory

NAMESPACE = uuid.UUID("6f0a3f43-2c44-4f41-9b2a-8e1e7a0b9d10")

# The extension that defines TLP 2.0 for STIX 2.1, and the marking definitions of its five
# levels, as OASIS publishes them (cti-stix-common-objects, extension-definition-specifications/
# tlp-2.0): the same ids, `created` and content in every bundle of every producer.
TLP_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP_CREATED = "2022-10-01T00:00:00.000Z"
TLP_IDS = {
    TLP.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    TLP.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    TLP.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    TLP.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    TLP.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
TLP_MARKINGS = {
    level: stix2.MarkingDefinition(
        id=marking_id,
        created=TLP_CREATED,
        name=TLP(level).label,
        extensions={TLP_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": level.lower()}},
    )
    for level, marking_id in TLP_IDS.items()
}

# `created` and `modified` of the objects that describe an agency: a constant, so that they are
# identical in every bundle (a STIX object with the same id and `modified` must not differ).
AGENCY_OBJECTS_CREATED = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)


def tlp_marking(marking):
    """The STIX marking definition of an incident's handling marking (`Incident.marking`).

    The portal's markings are TLP 2.0 (`portal.choices.TLP`), and each maps to the OASIS TLP 2.0
    marking definition of the same level:

        CLEAR         TLP:CLEAR          marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487
        GREEN         TLP:GREEN          marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb
        AMBER         TLP:AMBER          marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421
        AMBER+STRICT  TLP:AMBER+STRICT   marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003
        RED           TLP:RED            marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1

    The TLP 1.0 definitions of the STIX 2.1 specification (§7.2.1.4, `stix2.TLP_WHITE` and the
    rest) are not used: TLP 2.0 renamed WHITE to CLEAR and added AMBER+STRICT, which TLP 1.0
    cannot say. Partners receive up to what their clause allows, never RED; only the owner's
    country reads a TLP:RED bundle."""
    return TLP_MARKINGS[marking]


def stix_id(kind, key):
    """The STIX id of the portal object `key` of type `kind`, the same in every bundle.

    STIX 2.1 (§2.9) asks SDOs, SROs and meta objects for a UUIDv4 (a SHOULD, which the OASIS
    validator's strict mode enforces), where a UUIDv5 would be the natural stable id. So the
    bits are the UUIDv5 of the key in the portal's namespace, stamped with version 4: as unique
    as the UUIDv5, a valid UUIDv4, and derived, so nothing has to be stored."""
    derived = uuid.uuid5(NAMESPACE, f"{kind}:{key}")
    return f"{kind}--{uuid.UUID(bytes=derived.bytes, version=4)}"


def agency_objects(agency, country):
    """The agency's identity, its country (`agency.country`) and the `located-at` relationship
    between them.

    Identical in every bundle: ids from the agency's and the country's codes, `created` and
    `modified` a constant, and always marked TLP:CLEAR (the name and country of a public body),
    whatever the incident's marking, which may not change what an object says."""
    clear = [tlp_marking(TLP.CLEAR).id]
    identity = stix2.Identity(
        id=stix_id("identity", f"agency:{agency.code}"),
        created=AGENCY_OBJECTS_CREATED,
        modified=AGENCY_OBJECTS_CREATED,
        name=agency.name,
        identity_class="organization",
        sectors=["government-public-services"],
        external_references=[{"source_name": "joint-operations-portal", "external_id": agency.code}],
        object_marking_refs=clear,
    )
    location = stix2.Location(
        id=stix_id("location", f"country:{country.code}"),
        created=AGENCY_OBJECTS_CREATED,
        modified=AGENCY_OBJECTS_CREATED,
        name=country.name,
        country=country.code,
        object_marking_refs=clear,
    )
    located_at = stix2.Relationship(
        id=stix_id("relationship", f"agency:{agency.code}:located-at:country:{country.code}"),
        created=AGENCY_OBJECTS_CREATED,
        modified=AGENCY_OBJECTS_CREATED,
        relationship_type="located-at",
        source_ref=identity.id,
        target_ref=location.id,
        created_by_ref=identity.id,
        object_marking_refs=clear,
    )
    return identity, location, located_at


def incident_bundle(incident):
    """The bundle of an incident as the caller may see it (personal data never goes into STIX).

    The incident's objects carry its marking; `created` is when it was filed and `modified` its
    last change, so a consumer replaces what it had. Names and labels are in English whatever
    the request's language: the same version of an object says the same in every bundle."""
    marking = tlp_marking(incident.marking)
    agency = incident.agency
    # The incident's country is its agency's, and was read with it.
    country = incident.country if incident.country_id == agency.country_id else agency.country
    identity, country_location, located_at = agency_objects(agency, country)
    common = {
        "created": incident.created_at,
        "modified": max(incident.created_at, incident.updated_at),
        "created_by_ref": identity.id,
        "object_marking_refs": [marking.id],
    }
    reference = [{"source_name": "joint-operations-portal", "external_id": incident.reference}]
    with translation.override("en"):
        label = str(dict(IncidentCategory.choices).get(incident.category, incident.category))
    name = f"{'EXERCISE ' if incident.is_exercise else ''}{incident.reference}: {label}"
    stix_incident = stix2.Incident(
        id=stix_id("incident", incident.reference),
        name=name,
        description=incident.description or label,
        labels=[incident.category, f"severity:{incident.severity}", *(["exercise"] if incident.is_exercise else [])],
        external_references=reference,
        **common,
    )
    place = []
    if incident.latitude is not None and incident.longitude is not None:
        place.append(
            stix2.Location(
                id=stix_id("location", incident.reference),
                latitude=float(incident.latitude),
                longitude=float(incident.longitude),
                description=" / ".join(x for x in _place_names(incident) if x) or None,
                **common,
            )
        )
    # Who saw it, when and where: a Sighting's `where_sighted_refs` is how STIX 2.1 places an
    # SDO (the specification suggests no relationship from an incident to a location).
    sighting = stix2.Sighting(
        id=stix_id("sighting", incident.reference),
        sighting_of_ref=stix_incident.id,
        first_seen=incident.occurred_at,
        last_seen=incident.occurred_at,
        count=1,
        where_sighted_refs=[identity.id, *(p.id for p in place)],
        **common,
    )
    content = [identity, country_location, located_at, stix_incident, *place, sighting]
    report = stix2.Report(
        id=stix_id("report", incident.reference),
        name=name,
        description=incident.description or label,
        published=incident.validated_at or incident.created_at,
        object_refs=[o.id for o in content],
        external_references=reference,
        **common,
    )
    markings = {m.id: m for m in (tlp_marking(TLP.CLEAR), marking)}
    return stix2.Bundle(objects=[*markings.values(), *content, report], allow_custom=False)


def _place_names(incident):
    """The sector and crossing point by code and name, or the names as reported."""
    sector = f"{incident.sector.code} {incident.sector.name}" if incident.sector_id else incident.border_sector
    crossing = incident.crossing.name if incident.crossing_id else incident.crossing_point
    return [sector, crossing]
