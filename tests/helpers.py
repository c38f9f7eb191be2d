"""Test helpers shared by unit and integration tests (they live in portal.testing, which the
benchmarks use too)."""

from portal.testing import Receiver

__all__ = ["Receiver", "audit_log", "dashboard_panel"]


def audit_log():
    """The audit log after the beat's chaining step has run (tests run no beat)."""
    from portal import audit
    from portal.models import AuditEntry

    audit.integrate()
    return AuditEntry.objects


def dashboard_panel(response, app):
    """What an app's card on the dashboard shows (None when the card is left out)."""
    names = {f"{app}/dashboard_panel.html", f"{app}_panel.html"}  # "incidents/desk": the duty desk's
    return next((shown for template, shown in response.context["panels"] if template in names), None)
