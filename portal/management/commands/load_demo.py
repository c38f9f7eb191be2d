"""Demo data: five neighbouring countries, their agencies, and users of every role."""

import base64
import hashlib
from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.models import ROLE_FIELDS, Agency, AgencyKind, Country, Role, User

DEMO_APPS = ["agreements", "borders", "incidents", "training", "exchange"]
DEMO_PASSWORD = "Demo-Portal-2026!"  # noqa: S105  (printed for demo use; demo mode only)

AGENCIES = [
    ("LT-SBGS", "State Border Guard Service", "LT", AgencyKind.BORDER_GUARD),
    ("LT-CUST", "Customs of Lithuania", "LT", AgencyKind.CUSTOMS),
    ("LV-SBG", "State Border Guard of Latvia", "LV", AgencyKind.BORDER_GUARD),
    ("EE-PBGB", "Police and Border Guard Board", "EE", AgencyKind.POLICE),
    ("PL-SG", "Polish Border Guard", "PL", AgencyKind.BORDER_GUARD),
    ("FI-RVL", "Finnish Border Guard", "FI", AgencyKind.BORDER_GUARD),
]

# The border guard of each country gets one user per role; LT customs one officer.
ROLE_USERS = {
    Role.OFFICER: "officer",
    Role.SUPERVISOR: "supervisor",
    Role.LIAISON: "liaison",
    Role.ANALYST: "analyst",
    Role.DPO: "dpo",
    Role.AGENCY_ADMIN: "admin",
}
FIRST_NAMES = {"LT": "Jonas", "LV": "Janis", "EE": "Mart", "PL": "Piotr", "FI": "Mikko"}


def demo_key(username):
    """A stable TOTP key per demo user, so that codes survive reloading the demo data."""
    return hashlib.sha256(f"portal-demo:{username}".encode()).hexdigest()[:40]


class Command(BaseCommand):
    help = "Load demo countries' agencies and users (idempotent). Demo mode only."

    def handle(self, *args, **options):
        if not settings.DEMO_MODE:
            raise CommandError("load_demo creates accounts with known passwords: set DEMO_MODE=1 (or DEBUG=1).")
        with transaction.atomic():
            users = self._load()
            # Each app adds its own demo data in `<app>/demo.py`, after the people exist.
            for app in apps.get_app_configs():
                if app.name in DEMO_APPS:
                    import_module(f"{app.name}.demo").load(self.stdout)
        self._print(users)

    def _load(self):
        agencies = {}
        for code, name, country, kind in AGENCIES:
            agencies[code], _created = Agency.objects.update_or_create(
                code=code, defaults={"name": name, "country": Country.objects.get(pk=country), "kind": kind}
            )
        users = []
        for code, agency in agencies.items():
            people = ROLE_USERS.items() if agency.kind != AgencyKind.CUSTOMS else [(Role.OFFICER, "officer")]
            for role, suffix in people:
                username = f"{code.lower()}.{suffix}"
                users.append(
                    self._user(username, agency, [role], first=FIRST_NAMES[agency.country_id], last=str(role.label))
                )
        superuser = self._user("admin", agencies["LT-SBGS"], list(Role), first="Platform", last="Administrator")
        if not superuser.is_superuser:
            superuser.is_superuser = superuser.is_staff = True
            superuser.save(update_fields=["is_superuser", "is_staff"])
        users.append(superuser)
        return users

    def _user(self, username, agency, roles, first, last):
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "agency": agency,
                "first_name": first,
                "last_name": last,
                "email": f"{username}@demo.invalid",
                **{field: role in roles for role, field in ROLE_FIELDS.items()},
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        TOTPDevice.objects.get_or_create(
            user=user, name="Demo authenticator", defaults={"key": demo_key(username), "confirmed": True}
        )
        return user

    def _print(self, users):
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(f"Sign in at http://127.0.0.1:8000/ with password {DEMO_PASSWORD}")
        self.stdout.write("Then enter the code from an authenticator app set up with the key below, or run")
        self.stdout.write("  .venv/bin/python manage.py totp_code <username>")
        self.stdout.write("")
        self.stdout.write(f"{'username':<22} {'agency':<9} {'roles':<40} {'TOTP key':<34} code now")
        for user in users:
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            secret = base64.b32encode(device.bin_key).decode().rstrip("=") if device else "-"
            code = f"{totp(device.bin_key, step=device.step, t0=device.t0):06d}" if device else "-"
            roles = ", ".join(user.roles)
            self.stdout.write(f"{user.username:<22} {user.agency.code:<9} {roles:<40} {secret:<34} {code}")
