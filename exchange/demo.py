"""Demo single points of contact of the demo countries, a hit/no-hit check by Lithuania of a Polish
lorry's plate, and requests for information from Lithuania to Poland: one open on its clock (from
that hit), one answered (loaded by `manage.py load_demo`, after the agreements and incidents)."""

from exchange import hits, selectors, services
from exchange.models import Hit, InformationRequest, LegalBasis, SinglePointOfContact
from incidents.demo import SHOWCASE_PLATES
from incidents.models import Incident
from portal.models import Agency, Country, User

# country: (agency code, desk, languages, around the clock, hours, e-mail, phone)
SPOCS = {
    "LT": ("LT-SBGS", "International cooperation board", ["lt", "en", "ru"], True, "", "spoc@lt.demo.invalid", ""),
    "LV": ("LV-SBG", "", ["lv", "en"], True, "", "spoc@lv.demo.invalid", "+371 6707 5600"),
    "EE": ("EE-PBGB", "Central criminal police SPOC", ["et", "en"], True, "", "spoc@ee.demo.invalid", ""),
    "PL": (
        "PL-SG",
        "International cooperation office",
        ["pl", "en"],
        False,
        "Mon-Fri 7:00-19:00",
        "",
        "+48 22 500 40 00",
    ),
    "FI": ("FI-RVL", "", ["fi", "sv", "en"], True, "", "spoc@fi.demo.invalid", ""),
}


def _person(agency_code, **role):
    return User.objects.filter(agency__code=agency_code, is_active=True, **role).order_by("pk").first()


def load(stdout=None):
    spocs = 0
    for code, (agency_code, desk, languages, always_open, hours, email, phone) in SPOCS.items():
        if SinglePointOfContact.objects.filter(country_id=code).exists():
            continue
        services.spoc_set(
            actor=_person(agency_code, is_liaison=True),
            agency=Agency.objects.get(code=agency_code),
            desk=desk,
            languages=languages,
            always_open=always_open,
            hours=hours,
            email=email,
            phone=phone,
        )
        spocs += 1
    requests = 0 if InformationRequest.objects.filter(requesting_country_id="LT").exists() else _requests()
    if stdout is not None:
        stdout.write(f"Information exchange: {spocs} single points of contact, {requests} requests created.")
        pl, lt = SHOWCASE_PLATES["PL"]["value"], SHOWCASE_PLATES["LT"]["value"]
        stdout.write(f"  Try a hit/no-hit check: plate {pl} (PL) as lt-sbgs.liaison, plate {lt} (LT) as pl-sg.liaison.")


def _hit_on_the_lorry(sender):
    """Lithuania's check of the Polish lorry's plate, and its hit on the Polish incident that holds
    it (None if the incidents were loaded before the plate was part of the demo)."""
    plate = SHOWCASE_PLATES["PL"]
    result = hits.hit_check(
        actor=sender,
        kind=plate["kind"],
        value=plate["value"],
        country=plate["country"],
        purpose="Lorry suspected of carrying cigarettes through Kalvarija.",
    )
    return Hit.objects.filter(search=result.check, holder_country_id="PL").order_by("pk").first()


def _requests():
    lithuania, poland = Country.objects.get(pk="LT"), Country.objects.get(pk="PL")
    sender = _person("LT-SBGS", is_liaison=True)
    receiver = _person("PL-SG", is_liaison=True)
    agreement = selectors.agreements_in_force_between(lithuania, poland).first()
    linked = Incident.objects.visible_to(sender).filter(country_id="LT").order_by("-occurred_at")[:1]
    plate = SHOWCASE_PLATES["PL"]
    urgent = services.request_send(
        actor=sender,
        requested_country=poland,
        subject="Owner of a lorry seen at Kalvarija",
        sought="The registered keeper of the lorry and its trailer, and crossings in the last 30 days.",
        purpose="Investigation of smuggling of cigarettes across the LT-PL border.",
        identifiers=[plate],
        linked_incidents=list(linked),
        legal_basis=LegalBasis.AGREEMENT if agreement else LegalBasis.DIRECTIVE,
        agreement=agreement,
        urgent=True,
        directly_accessible=True,
        hit=_hit_on_the_lorry(sender),
    )
    answered = services.request_send(
        actor=sender,
        requested_country=poland,
        subject="Vessel calling at Gdansk",
        sought="Port calls of the vessel in the last three months.",
        purpose="Risk analysis of fuel smuggling by sea.",
        identifiers=[{"kind": "imo", "value": "9074729"}],
        legal_basis=LegalBasis.DIRECTIVE,
        urgent=False,
    )
    services.request_answer(
        request=answered,
        actor=receiver,
        kind="full",
        text=(
            "Three port calls in the last three months: Gdansk on 2 and 23 of last month, Gdynia on the 9th "
            "of this month, each with a cargo of diesel fuel declared to customs."
        ),
    )
    return len([urgent, answered])
