"""Issue, list and revoke partner systems' API keys from the command line."""

import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from portal import services
from portal.models import Agency, AgencyAPIKey, APIScope

ACTOR = "manage.py api_keys"


class Command(BaseCommand):
    help = "Manage API keys of agencies: create, list, revoke."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Issue a key; it is printed once.")
        create.add_argument("--agency", required=True, help="Agency short code, e.g. LT-SBGS")
        create.add_argument("--name", required=True)
        create.add_argument("--scope", action="append", required=True, choices=APIScope.values, dest="scopes")
        create.add_argument("--expires", type=datetime.date.fromisoformat, help="Expiry date, YYYY-MM-DD")
        listing = sub.add_parser("list", help="List keys (never the keys themselves).")
        listing.add_argument("--agency")
        revoke = sub.add_parser("revoke", help="Revoke a key by its prefix.")
        revoke.add_argument("prefix")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _create(self, agency, name, scopes, expires, **options):
        try:
            agency_obj = Agency.objects.get(code__iexact=agency)
        except Agency.DoesNotExist:
            raise CommandError(f"No agency with code {agency!r}.") from None
        try:
            key_obj, raw_key = services.api_key_create(
                agency=agency_obj, name=name, scopes=scopes, expires_at=expires, actor=None, actor_label=ACTOR
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(f"Issued key {key_obj.prefix} for {agency_obj.code} ({', '.join(key_obj.scopes)}).")
        self.stdout.write("Store it now; it cannot be shown again:")
        self.stdout.write(raw_key)

    def _list(self, agency=None, **options):
        keys = AgencyAPIKey.objects.select_related("agency").order_by("agency__code", "-created")
        if agency:
            keys = keys.filter(agency__code__iexact=agency)
        for key in keys:
            expiry = key.expiry_date.date().isoformat() if key.expiry_date else "never"
            self.stdout.write(
                f"{key.prefix}\t{key.agency.code}\t{key.state}\t{','.join(key.scopes)}\texpires {expiry}\t{key.name}"
            )

    def _revoke(self, prefix, **options):
        try:
            key_obj = AgencyAPIKey.objects.get(prefix=prefix)
        except AgencyAPIKey.DoesNotExist:
            raise CommandError(f"No API key with prefix {prefix!r}.") from None
        services.api_key_revoke(api_key=key_obj, actor=None, actor_label=ACTOR)
        self.stdout.write(f"Revoked key {prefix} of {key_obj.agency.code}.")
