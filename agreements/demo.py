"""Demo agreements among the demo countries (loaded by `manage.py load_demo`)."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from agreements import services
from agreements.models import Agreement
from portal.models import Agency, Country, User

SIGNED_PDF = b"%PDF-1.4\n% Demo signed text\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# reference, kind, title, agency codes, clauses, expires in days (None: open-ended), final state.
# Each clause also names the identifier kinds its receiver may check for a hit (Prüm II): vehicles
# and documents at the land borders, vessels at sea.
AGREEMENTS = [
    (
        "MoU/LT-PL/2024/01",
        "mou",
        "Exchange of information on cross-border crime",
        ["LT-SBGS", "PL-SG"],
        [
            {
                "provider": "PL",
                "receiver": "LT",
                "categories": ["smuggling_goods", "document_fraud"],
                "max_marking": "AMBER",
                "personal_data": False,
                "retention_days": 30,
                "mode": "automatic",
                "purpose": "Risk analysis at the common border.",
                "hit_no_hit_kinds": ["plate", "vin", "document"],
            },
            {
                "provider": "LT",
                "receiver": "PL",
                "categories": ["smuggling_tobacco", "smuggling_goods"],
                "max_marking": "GREEN",
                "personal_data": True,
                "retention_days": 90,
                "mode": "on_request",
                "purpose": "Joint investigations of tobacco smuggling.",
                "hit_no_hit_kinds": ["plate", "vin", "document", "phone"],
            },
        ],
        700,
        "in_force",
    ),
    (
        "MoU/LT-LV/2023/04",
        "mou",
        "Cooperation of the border guards of Lithuania and Latvia",
        ["LT-SBGS", "LV-SBG"],
        [
            {
                "provider": "LT",
                "receiver": "LV",
                "mutual": True,
                "categories": ["illegal_crossing", "migrant_smuggling", "trafficking"],
                "max_marking": "AMBER+STRICT",
                "personal_data": True,
                "retention_days": 60,
                "mode": "automatic",
                "purpose": "Prevention of irregular migration and trafficking.",
                "hit_no_hit_kinds": ["plate", "document", "phone"],
            },
        ],
        25,
        "in_force",
    ),
    (
        "MoU/EE-FI/2022/02",
        "mou",
        "Maritime border surveillance in the Gulf of Finland",
        ["EE-PBGB", "FI-RVL"],
        [
            {
                "provider": "EE",
                "receiver": "FI",
                "mutual": True,
                "categories": ["search_rescue", "smuggling_drugs"],
                "max_marking": "GREEN",
                "personal_data": False,
                "retention_days": 14,
                "mode": "automatic",
                "purpose": "Search and rescue coordination and drug interdiction at sea.",
                "hit_no_hit_kinds": ["imo", "mmsi"],
            },
        ],
        400,
        "suspended",
    ),
    (
        "PROT/BALTIC-NORDIC/2025",
        "protocol",
        "Baltic-Nordic border security protocol",
        ["LT-SBGS", "LV-SBG", "EE-PBGB", "PL-SG", "FI-RVL"],
        [
            {
                "categories": ["terrorism", "smuggling_weapons"],
                "max_marking": "AMBER",
                "personal_data": False,
                "retention_days": 180,
                "mode": "automatic",
                "purpose": "Early warning of terrorism-related movements.",
                "hit_no_hit_kinds": ["imo", "mmsi"],
            },
            {
                "categories": ["stolen_vehicle"],
                "max_marking": "CLEAR",
                "personal_data": False,
                "retention_days": 365,
                "mode": "automatic",
                "purpose": "Recovery of stolen vehicles.",
                "hit_no_hit_kinds": ["plate", "vin"],
            },
        ],
        None,
        "in_force",
    ),
    (
        "SOP/LV-EE/2026/01",
        "sop",
        "Standard operating procedure for joint patrols on the Valga-Valka line",
        ["LV-SBG", "EE-PBGB"],
        [
            {
                "provider": "LV",
                "receiver": "EE",
                "categories": ["illegal_crossing"],
                "max_marking": "GREEN",
                "personal_data": False,
                "retention_days": 30,
                "mode": "on_request",
                "purpose": "Joint patrol planning.",
                "hit_no_hit_kinds": ["plate"],
            },
        ],
        None,
        "negotiation",
    ),
]


def _liaison(agency):
    return User.objects.filter(agency=agency, is_liaison=True, is_active=True).order_by("pk").first()


def load(stdout=None):
    today = timezone.localdate()
    created = 0
    for reference, kind, title, codes, clauses, expires_in, final in AGREEMENTS:
        if Agreement.objects.filter(reference=reference).exists():
            continue
        agencies = [Agency.objects.get(code=code) for code in codes]
        actor = _liaison(agencies[0])
        agreement = services.agreement_create(
            parties=[(agency, [p for p in [_liaison(agency)] if p]) for agency in agencies],
            actor=actor,
            kind=kind,
            reference=reference,
            title=title,
            languages=["en"],
            summary=f"{title}. Demo data.",
            expires_on=today + datetime.timedelta(days=expires_in) if expires_in else None,
            notice_period_days=60 if expires_in and expires_in > 60 else None,
        )
        for clause in clauses:
            fields = dict(clause)
            for side in ("provider", "receiver"):
                fields[side] = Country.objects.get(pk=fields[side]) if fields.get(side) else None
            services.clause_save(agreement=agreement, actor=actor, **fields)
        agreement = services.agreement_transition(agreement=agreement, to_status="negotiation", actor=actor)
        if final != "negotiation":
            agreement = services.agreement_transition(
                agreement=agreement, to_status="signed", actor=actor, signed_on=today - datetime.timedelta(days=400)
            )
            services.document_upload(
                agreement=agreement,
                actor=actor,
                title="Signed text",
                upload=SimpleUploadedFile(f"{reference.replace('/', '-')}.pdf", SIGNED_PDF),
            )
            agreement = services.agreement_transition(
                agreement=agreement,
                to_status="in_force",
                actor=actor,
                effective_from=today - datetime.timedelta(days=390),
            )
        if final == "suspended":
            services.agreement_transition(
                agreement=agreement, to_status="suspended", actor=actor, reason="Review of the data-protection annex."
            )
        created += 1
    if stdout is not None:
        stdout.write(f"Agreements: {created} created, {len(AGREEMENTS) - created} already present.")
