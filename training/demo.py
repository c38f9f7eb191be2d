"""Demo joint work: patrols (one completed with its report, one upcoming, one cancelled), an
exercise with its after-action report and open corrective actions, and a capacity-building
programme with courses and indicators. Everything goes through the services, as a planner would."""

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from agreements import services as agreement_services
from agreements.models import Agreement
from borders.models import BorderSector
from incidents import services as incident_services
from incidents.models import Incident
from portal.models import Agency, User
from training.models import Exercise, Patrol, Programme
from training.services import courses, exercises, lessons, lifecycle, patrols, programmes
from training.services.assets import asset_save

SOP_PDF = b"%PDF-1.4\n% Demo SOP text\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# agency code, kind, identifier, name
ASSETS = [
    ("LT-SBGS", "vehicle", "LT-4417", "Patrol car, Toyota Land Cruiser"),
    ("LT-SBGS", "dog_team", "K9-LAZ-2", "Dog team Lazdijai 2"),
    ("LT-SBGS", "drone", "UAV-LT-07", "Quadcopter with thermal camera"),
    ("PL-SG", "vehicle", "PL-SG-2231", "Patrol car, Škoda Kodiaq"),
    ("PL-SG", "drone", "PL-BSP-14", "Fixed-wing drone"),
    ("LV-SBG", "vehicle", "LV-VRS-118", "Patrol car, Mitsubishi L200"),
    ("LV-SBG", "aircraft", "YL-VSG", "Helicopter, Agusta AW119"),
    ("EE-PBGB", "vessel", "EE-PVL-303", "Patrol boat Kõu"),
    ("EE-PBGB", "vehicle", "EE-PP-742", "Patrol van"),
    ("FI-RVL", "vessel", "FI-RV-Turva", "Offshore patrol vessel Turva"),
]


def _user(username):
    return User.objects.get(username=username)


def _at(day, hour):
    """A local time `day` days from today."""
    moment = datetime.datetime.combine(timezone.localdate() + datetime.timedelta(days=day), datetime.time(hour))
    return timezone.make_aware(moment)


def _assets(*identifiers):
    from training.models import Asset

    return list(Asset.objects.filter(identifier__in=identifiers))


def _load_assets():
    for code, kind, identifier, name in ASSETS:
        agency = Agency.objects.get(code=code)
        actor = User.objects.filter(agency=agency, is_liaison=True).order_by("pk").first()
        asset_save(actor=actor, kind=kind, identifier=identifier, name=name)


def _patrol(actor, title, reference, sector, start, end, commander, participants, route):
    return patrols.patrol_save(
        actor=actor,
        title=title,
        agreement=Agreement.objects.get(reference=reference),
        # The demo sector of that code (borders/demo.py), or the name as reported without one.
        sector=BorderSector.objects.filter(code=sector).first(),
        border_sector="" if BorderSector.objects.filter(code=sector).exists() else sector,
        starts_at=start,
        ends_at=end,
        commanding_agency=Agency.objects.get(code=commander),
        participants=[
            (Agency.objects.get(code=code), [_user(u) for u in people], _assets(*assets))
            for code, people, assets in participants
        ],
        route={"type": "LineString", "coordinates": route},
        notes="Radio channel 3; report every hour to the commanding agency's duty desk.",
    )


def _load_patrols():
    lt = _user("lt-sbgs.liaison")
    done = _patrol(
        lt,
        "Lazdijai green border, night patrol",
        "MoU/LT-PL/2024/01",
        "LT-PL-1",
        _at(-8, 18),
        _at(-7, 6),
        "LT-SBGS",
        [
            ("LT-SBGS", ["lt-sbgs.officer"], ["LT-4417", "K9-LAZ-2"]),
            ("PL-SG", ["pl-sg.officer"], ["PL-BSP-14"]),
        ],
        [[23.42, 54.18], [23.47, 54.21], [23.51, 54.23], [23.56, 54.26]],
    )
    lifecycle.activity_transition(activity=done, to_status="under_way", actor=lt)
    lifecycle.activity_transition(activity=done, to_status="completed", actor=lt)
    found = list(
        Incident.objects.visible_to(lt)
        .filter(country_id="LT", sector__code="LT-PL-1", status__in=["validated", "shared"])
        .order_by("pk")[:3]
    )
    patrols.patrol_report_save(
        patrol=done,
        actor=lt,
        summary="Twelve hours along the green border south of Lazdijai with the Polish drone crew overhead.",
        hours=Decimal("12.0"),
        distance_km=Decimal("46.5"),
        observations="Fresh tracks at two points of the fence; the drone's thermal camera saw a group retreat.",
        incidents=found,
    )
    _patrol(
        lt,
        "Saločiai-Grenctāle joint patrol",
        "MoU/LT-LV/2023/04",
        "LT-LV-1",
        _at(3, 8),
        _at(3, 20),
        "LV-SBG",
        [
            ("LV-SBG", ["lv-sbg.officer"], ["LV-VRS-118"]),
            ("LT-SBGS", ["lt-sbgs.officer"], ["UAV-LT-07"]),
        ],
        [[24.36, 56.24], [24.40, 56.25], [24.45, 56.27]],
    )
    ee = _user("ee-pbgb.liaison")
    cancelled = _patrol(
        ee,
        "Gulf of Finland maritime patrol",
        "PROT/BALTIC-NORDIC/2025",
        "EE-SEA-1",
        _at(6, 6),
        _at(6, 18),
        "EE-PBGB",
        [
            ("EE-PBGB", ["ee-pbgb.officer"], ["EE-PVL-303"]),
            ("FI-RVL", ["fi-rvl.officer"], ["FI-RV-Turva"]),
        ],
        [[26.60, 59.70], [26.90, 60.00], [27.20, 60.10]],
    )
    lifecycle.activity_transition(
        activity=cancelled, to_status="cancelled", actor=ee, reason="Storm warning for the whole Gulf of Finland."
    )


def _sop_document():
    """The LV-EE patrol SOP gets its draft text, which the exercise's corrective action will change."""
    sop = Agreement.objects.get(reference="SOP/LV-EE/2026/01")
    document = sop.documents.first()
    if document is None:
        document = agreement_services.document_upload(
            agreement=sop,
            actor=_user("lv-sbg.liaison"),
            title="Joint patrol procedure, Valga-Valka",
            kind="annex",
            upload=SimpleUploadedFile("sop-lv-ee.pdf", SOP_PDF),
        ).document
    return document


def _load_exercise():
    lv = _user("lv-sbg.liaison")
    exercise = exercises.exercise_save(
        actor=lv,
        title="VALKA SHIELD 2026",
        scenario="migrant_crisis",
        description="A large group of migrants pushed towards the Valga-Valka crossing; the neighbours reinforce.",
        host_agency=Agency.objects.get(code="LV-SBG"),
        agencies=[Agency.objects.get(code="EE-PBGB"), Agency.objects.get(code="LT-SBGS")],
        starts_at=_at(-21, 8),
        ends_at=_at(-20, 17),
        location="Valga-Valka crossing point",
        objectives=[
            "Reinforce a neighbour's border section within four hours of the request",
            "Share the situational picture between the duty desks every hour",
            "Hand over apprehended persons under the readmission procedure",
        ],
        assets=_assets("LV-VRS-118", "EE-PP-742", "YL-VSG"),
    )
    roles = [
        ("lv-sbg.officer", "player"),
        ("ee-pbgb.officer", "player"),
        ("lv-sbg.supervisor", "controller"),
        ("ee-pbgb.supervisor", "evaluator"),
        ("lt-sbgs.analyst", "observer"),
    ]
    people = {
        username: exercises.exercise_participant_add(exercise=exercise, user=_user(username), role=role, actor=lv)
        for username, role in roles
    }
    for hour, text, username in [
        (9, "Duty desk reports 200 people approaching the crossing from the east.", "lv-sbg.officer"),
        (11, "Latvia asks Estonia for two patrol teams under the SOP.", "ee-pbgb.officer"),
        (14, "A person in the group needs medical evacuation.", "lv-sbg.officer"),
    ]:
        exercises.inject_add(
            exercise=exercise,
            at=_at(-21, hour),
            description=text,
            recipient=people[username],
            actor=lv,
        )
    lifecycle.activity_transition(activity=exercise, to_status="under_way", actor=lv)
    play = incident_services.incident_create(
        actor=_user("lv-sbg.officer"),
        exercise=exercise,
        category="illegal_crossing",
        occurred_at=_at(-21, 9),
        latitude=Decimal("57.7750"),
        longitude=Decimal("26.0300"),
        border_sector="Valka",
        crossing_point="Valka-Valga road",
        description="EXERCISE PLAY: group of about 200 people at the crossing point.",
        people_involved=200,
        severity="high",
        source_reliability="B",
        information_credibility="2",
        marking="GREEN",
    )
    play = incident_services.incident_submit(incident=play, actor=_user("lv-sbg.officer"))
    # Validated, it reaches Lithuania under the LT-LV clause: marked EXERCISE, alerted as CAP Exercise.
    incident_services.incident_validate(incident=play, actor=_user("lv-sbg.supervisor"))
    lifecycle.activity_transition(activity=exercise, to_status="completed", actor=lv)
    lessons.after_action_save(
        exercise=exercise,
        actor=lv,
        summary="Reinforcements arrived in three hours; the picture was shared, but readmission paperwork lagged.",
        lessons_learned="Agree the readmission forms in advance and keep a liaison officer at each duty desk.",
    )
    first, second, third = list(exercise.objectives.all())
    for objective, kind, text in [
        (first, "strength", "Estonian teams arrived 55 minutes ahead of the four-hour target."),
        (second, "improvement", "The hourly picture skipped two hours while the duty desks changed shifts."),
        (third, "improvement", "Readmission forms differed between the two sides; persons waited six hours."),
    ]:
        lessons.observation_add(objective=objective, kind=kind, text=text, actor=lv)
    lessons.corrective_action_add(
        exercise=exercise,
        actor=lv,
        description="Add a common readmission form as an annex of the patrol SOP.",
        owner_agency=Agency.objects.get(code="LV-SBG"),
        due_on=timezone.localdate() + datetime.timedelta(days=45),
        sop_document=_sop_document(),
    )
    action = lessons.corrective_action_add(
        exercise=exercise,
        actor=lv,
        description="Handover checklist for the duty desks' shift change.",
        owner_agency=Agency.objects.get(code="EE-PBGB"),
        due_on=timezone.localdate() + datetime.timedelta(days=20),
    )
    lessons.corrective_action_update(action=action, actor=lv, status="in_progress")
    lessons.corrective_action_add(
        exercise=exercise,
        actor=lv,
        description="Train LT observers on the regional situational-awareness tool.",
        owner_agency=Agency.objects.get(code="LT-SBGS"),
        due_on=timezone.localdate() - datetime.timedelta(days=2),
    )


def _load_programme():
    lt = _user("lt-sbgs.liaison")
    today = timezone.localdate()
    programme = programmes.programme_save(
        actor=lt,
        title="Document security in the Baltic states",
        description="Examination of travel documents at first and second line, with equipment for each crossing.",
        source_kind="eu_fund",
        funder_name="EU Border Management and Visa Instrument (BMVI)",
        budget=Decimal("1200000.00"),
        starts_on=today - datetime.timedelta(days=300),
        ends_on=today + datetime.timedelta(days=430),
        agencies=[Agency.objects.get(code=code) for code in ("LT-SBGS", "LV-SBG", "EE-PBGB")],
    )
    for days_ago, amount, what in [
        (280, "185000.00", "Document examination equipment for 12 crossing points"),
        (120, "64500.00", "Course: document fraud, level 2"),
        (30, "22000.00", "Reference collection of genuine documents"),
    ]:
        programmes.spending_add(
            programme=programme,
            actor=lt,
            spent_on=today - datetime.timedelta(days=days_ago),
            amount=Decimal(amount),
            description=what,
        )
    trainees = [_user(u) for u in ("lt-sbgs.officer", "lv-sbg.officer", "ee-pbgb.officer")]
    course = courses.course_save(
        programme=programme,
        actor=lt,
        title="Document fraud, level 2",
        place="Border Guard School, Medininkai",
        trainer_agency=Agency.objects.get(code="EE-PBGB"),
        starts_at=_at(-60, 9),
        ends_at=_at(-56, 16),
        trainees=trainees,
    )
    courses.course_transition(course=course, to_status="under_way", actor=lt)
    courses.course_transition(course=course, to_status="completed", actor=lt, completed=trainees[:2])
    courses.course_save(
        programme=programme,
        actor=lt,
        title="Impostor detection at first line",
        place="State Border Guard College, Rēzekne",
        trainer_agency=Agency.objects.get(code="LV-SBG"),
        starts_at=_at(10, 9),
        ends_at=_at(12, 16),
        trainees=[_user("lt-sbgs.supervisor"), _user("lv-sbg.supervisor")],
    )
    for name, unit, baseline, target, values in [
        ("Officers certified in document examination", "officers", 40, 200, [40, 72, 118, 141]),
        ("Time to confirm a forged document", "minutes", 25, 10, [25, 21, 18, 16]),
    ]:
        indicator = programmes.indicator_save(
            programme=programme,
            actor=lt,
            name=name,
            unit=unit,
            baseline=Decimal(baseline),
            target=Decimal(target),
        )
        for quarter, value in enumerate(values):
            programmes.measurement_add(
                indicator=indicator,
                actor=lt,
                measured_on=today - datetime.timedelta(days=270 - 90 * quarter),
                value=Decimal(value),
            )


def load(stdout=None):
    if Patrol.objects.exists() or Exercise.objects.exists() or Programme.objects.exists():
        if stdout is not None:
            stdout.write("Joint work: already present.")
        return
    _load_assets()
    _load_patrols()
    _load_exercise()
    _load_programme()
    if stdout is not None:
        stdout.write(
            f"Joint work: {Patrol.objects.count()} patrols, {Exercise.objects.count()} exercise, "
            f"{Programme.objects.count()} programme."
        )
