"""Demo border sectors and crossing points of the demo countries, drawn roughly along the real
borders (each 10-40 km), with a few changes of impact level in their history. Everything goes
through the services, as a liaison officer and a supervisor would."""

import datetime

from django.utils import timezone

from borders import services
from borders.models import BorderSector
from portal.models import User

# country: [(code, name, description, GeoJSON geometry)], coordinates [longitude, latitude].
SECTORS: dict[str, list[tuple[str, str, str, dict]]] = {
    "LT": [
        (
            "LT-PL-1",
            "Lazdijai",
            "Green border with Poland from the Belarusian tripoint to the Lazdijai-Ogrodniki road.",
            {
                "type": "LineString",
                "coordinates": [[23.512, 53.952], [23.50, 54.03], [23.47, 54.10], [23.42, 54.165], [23.36, 54.21]],
            },
        ),
        (
            "LT-PL-2",
            "Kalvarija",
            "Border with Poland from Šeštokai-Trakiszki rail to Kalvarija-Budzisko (Via Baltica).",
            {
                "type": "LineString",
                "coordinates": [[23.36, 54.21], [23.28, 54.26], [23.21, 54.32], [23.19, 54.357], [23.10, 54.38]],
            },
        ),
        (
            "LT-LV-1",
            "Saločiai",
            "Border with Latvia on both sides of the Saločiai-Grenctāle crossing.",
            {
                "type": "LineString",
                "coordinates": [[24.10, 56.40], [24.20, 56.40], [24.28, 56.39], [24.36, 56.36], [24.45, 56.34]],
            },
        ),
        (
            "LT-BY-1",
            "Medininkai",
            "External border with Belarus around the Medininkai road crossing.",
            {
                "type": "LineString",
                "coordinates": [[25.52, 54.47], [25.59, 54.51], [25.645, 54.54], [25.72, 54.57], [25.78, 54.59]],
            },
        ),
    ],
    "PL": [
        (
            "PL-LT-1",
            "Sejny",
            "Border with Lithuania east of Sejny, to the Ogrodniki-Lazdijai road.",
            {
                "type": "LineString",
                "coordinates": [[23.512, 53.952], [23.50, 54.03], [23.47, 54.10], [23.42, 54.165], [23.36, 54.21]],
            },
        ),
        (
            "PL-LT-2",
            "Budzisko",
            "Border with Lithuania from Trakiszki to Budzisko and west to Wiżajny.",
            {
                "type": "LineString",
                "coordinates": [[23.36, 54.21], [23.28, 54.26], [23.21, 54.32], [23.19, 54.357], [23.10, 54.38]],
            },
        ),
        (
            "PL-BY-1",
            "Terespol",
            "External border with Belarus on the Bug river at Terespol.",
            {
                "type": "LineString",
                "coordinates": [[23.55, 51.97], [23.60, 52.03], [23.62, 52.07], [23.66, 52.11], [23.70, 52.15]],
            },
        ),
    ],
    "LV": [
        (
            "LV-EE-1",
            "Valka",
            "Border with Estonia through the twin town Valka-Valga.",
            {
                "type": "LineString",
                "coordinates": [[25.85, 57.78], [25.95, 57.775], [26.03, 57.775], [26.10, 57.79], [26.22, 57.77]],
            },
        ),
        (
            "LV-LT-1",
            "Grenctāle",
            "Border with Lithuania on both sides of the Grenctāle-Saločiai crossing.",
            {
                "type": "LineString",
                "coordinates": [[24.10, 56.40], [24.20, 56.40], [24.28, 56.39], [24.36, 56.36], [24.45, 56.34]],
            },
        ),
        (
            "LV-BY-1",
            "Silene",
            "External border with Belarus at Silene.",
            {
                "type": "LineString",
                "coordinates": [[26.62, 55.73], [26.70, 55.70], [26.76, 55.68], [26.84, 55.66], [26.90, 55.64]],
            },
        ),
    ],
    "EE": [
        (
            "EE-LV-1",
            "Valga",
            "Border with Latvia through the twin town Valga-Valka.",
            {
                "type": "LineString",
                "coordinates": [[25.85, 57.78], [25.95, 57.775], [26.03, 57.775], [26.10, 57.79], [26.22, 57.77]],
            },
        ),
        (
            "EE-SEA-1",
            "Gulf of Finland (Tallinn approaches)",
            "Sea sector off Tallinn to the maritime boundary with Finland.",
            {
                "type": "Polygon",
                "coordinates": [[[24.60, 59.45], [24.95, 59.50], [24.95, 59.62], [24.60, 59.62], [24.60, 59.45]]],
            },
        ),
        (
            "EE-RU-1",
            "Narva",
            "External border with Russia on the Narva river.",
            {
                "type": "LineString",
                "coordinates": [[28.04, 59.46], [28.10, 59.42], [28.19, 59.38], [28.15, 59.30], [28.10, 59.24]],
            },
        ),
    ],
    "FI": [
        (
            "FI-SEA-1",
            "Gulf of Finland",
            "Sea sector off Helsinki to the maritime boundary with Estonia.",
            {
                "type": "Polygon",
                "coordinates": [[[24.80, 59.80], [25.15, 59.80], [25.15, 60.10], [24.80, 60.10], [24.80, 59.80]]],
            },
        ),
        (
            "FI-RU-1",
            "Vaalimaa",
            "External border with Russia at the Vaalimaa road crossing.",
            {
                "type": "LineString",
                "coordinates": [[27.70, 60.50], [27.76, 60.53], [27.82, 60.565], [27.88, 60.60], [27.94, 60.63]],
            },
        ),
    ],
}

# country: [(code, name, kind, sector code or None, latitude, longitude)]
CROSSINGS: dict[str, list[tuple[str, str, str, str | None, str, str]]] = {
    "LT": [
        ("LT-LAZ", "Lazdijai-Ogrodniki", "road", "LT-PL-1", "54.165000", "23.420000"),
        ("LT-KAL", "Kalvarija-Budzisko", "road", "LT-PL-2", "54.357000", "23.190000"),
        ("LT-SES", "Šeštokai-Trakiszki", "rail", "LT-PL-2", "54.262000", "23.276000"),
        ("LT-SAL", "Saločiai-Grenctāle", "road", "LT-LV-1", "56.390000", "24.280000"),
        ("LT-MED", "Medininkai", "road", "LT-BY-1", "54.540000", "25.645000"),
        ("LT-VNO", "Vilnius airport", "airport", None, "54.634100", "25.285800"),
    ],
    "PL": [
        ("PL-OGR", "Ogrodniki-Lazdijai", "road", "PL-LT-1", "54.165000", "23.420000"),
        ("PL-BUD", "Budzisko-Kalvarija", "road", "PL-LT-2", "54.357000", "23.190000"),
        ("PL-TRA", "Trakiszki-Šeštokai", "rail", "PL-LT-2", "54.262000", "23.276000"),
        ("PL-TER", "Terespol", "road", "PL-BY-1", "52.075000", "23.620000"),
    ],
    "LV": [
        ("LV-VAL-R", "Valka-Valga road", "road", "LV-EE-1", "57.774700", "26.020000"),
        ("LV-VAL-T", "Valka-Valga rail", "rail", "LV-EE-1", "57.777500", "26.035000"),
        ("LV-GRE", "Grenctāle-Saločiai", "road", "LV-LT-1", "56.390000", "24.280000"),
        ("LV-SIL", "Silene", "road", "LV-BY-1", "55.680000", "26.760000"),
        ("LV-RIX", "Riga airport", "airport", None, "56.923600", "23.971100"),
    ],
    "EE": [
        ("EE-VAL-R", "Valga-Valka road", "road", "EE-LV-1", "57.774700", "26.020000"),
        ("EE-VAL-T", "Valga-Valka rail", "rail", "EE-LV-1", "57.777500", "26.035000"),
        ("EE-TLL-P", "Tallinn Old City Harbour", "sea_port", "EE-SEA-1", "59.444500", "24.767800"),
        ("EE-NAR", "Narva", "road", "EE-RU-1", "59.377000", "28.197000"),
        ("EE-TLL-A", "Tallinn airport", "airport", None, "59.413300", "24.832800"),
    ],
    "FI": [
        ("FI-HEL-P", "Helsinki West Harbour", "sea_port", "FI-SEA-1", "60.152500", "24.910000"),
        ("FI-HEL-A", "Helsinki airport", "airport", None, "60.317200", "24.963300"),
        ("FI-VAA", "Vaalimaa", "road", "FI-RU-1", "60.565000", "27.823000"),
    ],
}

# (country, sector code, [(days ago, level, reason)]) in the order they happened.
LEVEL_CHANGES: list[tuple[str, str, list[tuple[int, str, str]]]] = [
    (
        "LT",
        "LT-PL-2",
        [
            (12, "medium", "More attempted crossings reported by the Polish Border Guard along the Via Baltica."),
            (3, "high", "Groups guided by smugglers seen on three nights in a row near Kalvarija."),
        ],
    ),
    ("PL", "PL-LT-2", [(3, "medium", "Lithuania raised Kalvarija to high; reinforced patrols at Budzisko.")]),
    (
        "LV",
        "LV-EE-1",
        [
            (25, "medium", "VALKA SHIELD exercise preparations; more traffic expected."),
            (18, "low", "Exercise over; situation back to normal."),
        ],
    ),
    ("FI", "FI-SEA-1", [(6, "medium", "Storm season: more search and rescue cases in the Gulf of Finland.")]),
    ("LT", "LT-BY-1", [(40, "high", "Instrumentalised migration pressure from Belarus continues.")]),
]


def _person(country, role):
    """The demo border guard's (not customs') liaison officer or supervisor of the country."""
    people = User.objects.filter(agency__country_id=country, **{role: True}).exclude(agency__kind="customs")
    return people.order_by("pk").first()


def load(stdout=None):
    if BorderSector.objects.exists():
        if stdout is not None:
            stdout.write("Border sectors: already present.")
        return
    count = 0
    for country, sectors in SECTORS.items():
        liaison = _person(country, "is_liaison")
        if liaison is None:
            continue
        codes = {}
        for code, name, description, geometry in sectors:
            codes[code] = services.sector_save(
                actor=liaison, code=code, name=name, description=description, geometry=geometry
            )
            count += 1
        for code, name, kind, sector, lat, lon in CROSSINGS.get(country, []):
            services.crossing_save(
                actor=liaison,
                code=code,
                name=name,
                kind=kind,
                sector=codes.get(sector or ""),
                latitude=lat,
                longitude=lon,
            )
    now = timezone.now()
    for country, code, changes in LEVEL_CHANGES:
        supervisor = _person(country, "is_supervisor")
        sector = BorderSector.objects.filter(country_id=country, code=code).first()
        if supervisor is None or sector is None:
            continue
        for days, level, reason in changes:
            sector = services.impact_level_set(
                sector=sector, level=level, reason=reason, actor=supervisor, now=now - datetime.timedelta(days=days)
            ).sector
    if stdout is not None:
        stdout.write(f"Border sectors: {count} created, with their crossing points and level history.")
