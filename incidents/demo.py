"""Demo incidents across the demo countries, shared according to the demo agreements."""

import random
from datetime import timedelta
from decimal import Decimal

import phonenumbers
from django.utils import timezone
from stdnum import imo

from incidents import services
from incidents.models import Incident
from portal.choices import IdentifierKind, IncidentCategory
from portal.models import Agency, User

PER_AGENCY = 60
# country: [(border sector, crossing point, latitude, longitude)], as an officer would name them:
# most are the codes' names of the demo sectors and crossing points (borders/demo.py) and are
# linked to them; the others match none and stay as reported.
SECTORS = {
    "LT": [
        ("Medininkai", "Medininkai", 54.54, 25.64),
        ("Kybartai", "Kybartai", 54.64, 22.76),
        ("Lazdijai", "Lazdijai-Ogrodniki", 54.18, 23.45),
        ("Kalvarija", "Kalvarija-Budzisko", 54.33, 23.22),
    ],
    "LV": [
        ("Terehova", "Terehova", 56.28, 28.06),
        ("Grebneva", "Grebneva", 56.93, 27.98),
        ("Silene", "Silene", 55.68, 26.76),
        ("Valka", "Valka-Valga road", 57.76, 26.00),
    ],
    "EE": [
        ("Narva", "Narva", 59.38, 28.19),
        ("Koidula", "Koidula", 57.83, 27.55),
        ("Luhamaa", "Luhamaa", 57.60, 27.46),
        ("Valga", "Valga-Valka road", 57.79, 26.05),
    ],
    "PL": [
        ("Terespol", "Terespol", 52.07, 23.62),
        ("Kuznica", "Kuznica", 53.50, 23.65),
        ("Budzisko", "Budzisko-Kalvarija", 54.34, 23.17),
        ("Sejny", "Ogrodniki-Lazdijai", 54.12, 23.42),
    ],
    "FI": [
        ("Vaalimaa", "Vaalimaa", 60.55, 27.80),
        ("Nuijamaa", "Nuijamaa", 61.01, 28.31),
        ("Gulf of Finland", "Helsinki West Harbour", 59.95, 24.98),
    ],
}
DESCRIPTIONS = {
    "illegal_crossing": "Group of people crossed the green border at night; tracks found at dawn.",
    "smuggling_goods": "Undeclared goods hidden in a refrigerated lorry.",
    "smuggling_drugs": "Sniffer dog indicated a hidden compartment in a passenger car.",
    "smuggling_weapons": "Parts of firearms found in a parcel transported by a minibus.",
    "smuggling_tobacco": "Cigarettes without excise stamps in the spare tyre of a van.",
    "trafficking": "Young women travelling with a man holding all their passports.",
    "migrant_smuggling": "Driver transporting undocumented passengers hidden in a cargo area.",
    "document_fraud": "Forged residence permit presented at the first-line check.",
    "stolen_vehicle": "Car registered as stolen in another Schengen state stopped at exit.",
    "terrorism": "Traveller matching a watch-list description observed at the terminal.",
    "search_rescue": "Small boat in distress reported by a fishing vessel.",
    "other": "Drone flying over the border strip without authorisation.",
}


def _demo_subscriptions():
    """The Polish Border Guard receives webhooks on the demo receiver; Latvia gets e-mail."""
    from alerts.management.commands.demo_receiver import DEMO_SUBSCRIPTION
    from alerts.models import Subscription
    from alerts.services import new_secret

    pl = Agency.objects.filter(code="PL-SG").first()
    lv = Agency.objects.filter(code="LV-SBG").first()
    if pl:
        Subscription.objects.get_or_create(
            agency=pl,
            name=DEMO_SUBSCRIPTION,
            defaults={"channel": "webhook", "url": "http://127.0.0.1:8001/alerts", "secrets": [new_secret()]},
        )
        Subscription.objects.get_or_create(
            agency=pl,
            name="Old gateway (unreachable)",
            defaults={
                "channel": "webhook",
                "url": "http://127.0.0.1:9/alerts",
                "secrets": [new_secret()],
                "min_severity": "critical",
            },
        )
    if lv:
        Subscription.objects.get_or_create(
            agency=lv, name="Duty desk", defaults={"channel": "email", "emails": ["duty@lv-sbg.demo.invalid"]}
        )


def _demo_delivery_history():
    """Dead letters on the unreachable gateway, so the redeliver button has something to do."""
    from alerts.models import AlertDelivery

    for delivery in AlertDelivery.objects.filter(subscription__name="Old gateway (unreachable)")[:2]:
        AlertDelivery.objects.filter(pk=delivery.pk).update(
            state="dead", attempts=11, last_error="Could not connect: [Errno 111] Connection refused"
        )


def load(stdout=None):
    _demo_subscriptions()
    if Incident.objects.exists():
        if stdout is not None:
            stdout.write("Incidents: already present.")
        return
    rng = random.Random(2026)  # noqa: S311  (demo data, not security)
    ids_rng = random.Random(3779)  # noqa: S311  (its own, so that the incidents stay as they were)
    now = timezone.now()
    created = 0
    pending = dict(SHOWCASE_PLATES)
    for agency in Agency.objects.filter(country_id__in=SECTORS).exclude(kind="customs").order_by("code"):
        officer = User.objects.filter(agency=agency, is_officer=True).order_by("pk").first()
        supervisor = User.objects.filter(agency=agency, is_supervisor=True).order_by("pk").first()
        if officer is None or supervisor is None:
            continue
        for n in range(PER_AGENCY):
            category = rng.choice(IncidentCategory.values)
            sector, crossing, lat, lon = rng.choice(SECTORS[agency.country_id])
            personal = category in {"trafficking", "document_fraud", "migrant_smuggling"} and rng.random() < 0.6
            incident = services.incident_create(
                actor=officer,
                category=category,
                occurred_at=now - timedelta(hours=rng.randint(1, 24 * 120)),
                latitude=Decimal(f"{lat + rng.uniform(-0.05, 0.05):.5f}"),
                longitude=Decimal(f"{lon + rng.uniform(-0.08, 0.08):.5f}"),
                border_sector=sector,
                crossing_point=crossing,
                description=DESCRIPTIONS[category],
                people_involved=rng.randint(0, 12),
                severity=rng.choice(["low", "medium", "medium", "high", "critical"]),
                source_reliability=rng.choice("ABBCCDF"),
                information_credibility=rng.choice("1223346"),
                marking=rng.choice(["CLEAR", "GREEN", "GREEN", "AMBER", "AMBER", "AMBER+STRICT", "RED"]),
                has_personal_data=personal,
                person_name="Demo Person" if personal else "",
                person_nationality="XX" if personal else "",
                person_document_number=f"X{rng.randint(1000000, 9999999)}" if personal else "",
            )
            entries = _demo_identifiers(incident, crossing, ids_rng)
            if n % 10 >= 2 and (showcase := _showcase_identifier(incident, pending)):
                entries.append(showcase)
            if entries:
                services.incident_identifiers_set(incident=incident, identifiers=entries, actor=officer)
            if n % 10 == 0:
                continue  # left as a draft
            incident = services.incident_submit(incident=incident, actor=officer)
            if n % 10 == 1:
                continue  # waiting for validation
            incident = services.incident_validate(incident=incident, actor=supervisor)
            if n % 15 == 2:
                services.incident_create(
                    actor=officer,
                    follow_up_of=incident,
                    category=category,
                    occurred_at=now,
                    description="Follow-up: the same vehicle was seen again.",
                    border_sector=sector,
                )
            created += 1
    _demo_comments()
    _demo_handover()
    _demo_delivery_history()
    if stdout is not None:
        shared = Incident.objects.filter(status="shared").count()
        stdout.write(f"Incidents: {Incident.objects.count()} created, {shared} shared with partners ({created}).")


# Vehicles' categories, and the plates' formats of the demo countries (letters, digits).
VEHICLE_CATEGORIES = {"smuggling_goods", "smuggling_drugs", "smuggling_tobacco", "migrant_smuggling", "stolen_vehicle"}
PLATE_FORMATS = {"LT": (3, 3), "PL": (3, 5), "LV": (2, 4), "EE": (3, 3), "FI": (3, 3)}
# VINs of stolen cars: European makers (their 9th character is not a check digit) and one made for
# North America, whose check digit is right.
DEMO_VINS = ("WVWZZZ1KZ6W000317", "WBA3A5C50CF256651", "YV1MS382262190451", "1M8GDM9AXKP042788")
LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


# The plates the demo's walkthrough checks (README, *Information exchange*): each goes on the first
# validated tobacco-smuggling incident of its country (one no clause shares automatically), so that
# the other country's check finds a record it could not read without a request for information.
SHOWCASE_PLATES = {
    "PL": {"kind": IdentifierKind.PLATE, "value": "WPR 4471K", "country": "PL"},
    "LT": {"kind": IdentifierKind.PLATE, "value": "HKN 318", "country": "LT"},
}
SHOWCASE_CATEGORY = "smuggling_tobacco"


def _showcase_identifier(incident, pending):
    """The showcase plate of the incident's country, once, for an incident that will be a record
    (validated, not TLP:RED) of the showcase category; None for any other."""
    if incident.category != SHOWCASE_CATEGORY or incident.marking == "RED":
        return None
    return pending.pop(incident.country_id, None)


def _demo_identifiers(incident, crossing, rng):
    """Plausible identifiers for some demo incidents: the plates of vehicles (their own country's
    or a neighbour's), a stolen car's VIN, a vessel in distress off Helsinki, and a document or
    phone number where the incident holds personal data."""
    entries = []
    if incident.category in VEHICLE_CATEGORIES and rng.random() < 0.5:
        country = rng.choice([incident.country_id, "LT", "PL"])
        letters, digits = PLATE_FORMATS.get(country, (3, 3))
        plate = (
            "".join(rng.choice(LETTERS) for _n in range(letters)) + " " + str(rng.randrange(10**digits)).zfill(digits)
        )
        entries.append({"kind": IdentifierKind.PLATE, "value": plate, "country": country})
    if incident.category == "stolen_vehicle":
        entries.append({"kind": IdentifierKind.VIN, "value": rng.choice(DEMO_VINS), "country": None})
    if incident.category == "search_rescue" and crossing == "Helsinki West Harbour":
        number = f"9{rng.randint(10000, 99999)}"
        entries.append({"kind": IdentifierKind.IMO, "value": f"IMO {number}{imo.calc_check_digit(number)}"})
        entries.append({"kind": IdentifierKind.MMSI, "value": f"230{rng.randint(100000, 999999)}"})
    if incident.has_personal_data:
        if rng.random() < 0.5:
            issuer = rng.choice(["LT", "PL", "LV", "UA", "BY"])
            entries.append(
                {"kind": IdentifierKind.DOCUMENT, "value": incident.person_document_number, "country": issuer}
            )
        else:
            entries.append({"kind": IdentifierKind.PHONE, "value": _demo_phone(incident.country_id, rng)})
    return entries


def _demo_phone(country, rng):
    """A mobile number of the country that the numbering plan knows: its example number with
    other last digits."""
    sample = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    if sample is None:
        return "+37061234567"
    example = phonenumbers.format_number(sample, phonenumbers.PhoneNumberFormat.E164)
    for _attempt in range(10):
        number = example[:-4] + str(rng.randrange(10000)).zfill(4)
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            return number
    return example


def _demo_handover():
    """One pending handover: a Lithuanian incident offered to the Polish Border Guard."""
    incident = Incident.objects.filter(country_id="LT", status="shared", visibility__country_id="PL").first()
    supervisor = User.objects.filter(agency__code="LT-SBGS", is_supervisor=True).first()
    to_agency = Agency.objects.filter(code="PL-SG").first()
    if incident and supervisor and to_agency:
        services.handover_request(
            incident=incident,
            to_agency=to_agency,
            actor=supervisor,
            reason="The vehicle continued towards the Polish border; please take over.",
        )


def _demo_comments():
    """Partners comment on a few incidents shared with them."""
    for incident in Incident.objects.filter(status="shared").order_by("pk")[:8]:
        row = incident.visibility.exclude(country_id=incident.country_id).first()
        partner = User.objects.filter(agency__country_id=row.country_id, is_officer=True).first() if row else None
        if partner is not None:
            services.comment_add(
                incident=incident,
                actor=partner,
                body="Same vehicle registered at our side of the border two days earlier.",
            )
