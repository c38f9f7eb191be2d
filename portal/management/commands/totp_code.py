"""Print the current two-factor code of a demo user (demo mode only)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Print the current TOTP code of a user, so that demo accounts work without a phone."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        if not settings.DEMO_MODE:
            raise CommandError("Only available when DEMO_MODE is on.")
        device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
        if device is None:
            raise CommandError(f"{username} has no confirmed authenticator.")
        self.stdout.write(f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}")
