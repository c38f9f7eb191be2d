"""Check the audit log's hash chain and report the first entry where it breaks."""

from django.core.management.base import BaseCommand, CommandError

from portal.audit import verify_chain


class Command(BaseCommand):
    help = "Verify the hash chain of the audit log; exits with status 1 at the first broken entry."

    def handle(self, *args, **options):
        report = verify_chain()
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"Audit log intact: {report.checked} entries verified."))
            return
        where = f"at entry {report.broken_at}" if report.broken_at is not None else "after the last entry"
        raise CommandError(
            f"Audit log chain broken {where}: {report.reason} ({report.checked} entries verified before it)."
        )
