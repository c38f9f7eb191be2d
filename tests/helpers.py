"""Test helpers shared by unit and integration tests (they live in portal.testing, which the
benchmarks use too)."""

from portal.testing import Receiver

__all__ = ["Receiver", "audit_log"]


def audit_log():
    """The audit log after the beat's chaining step has run (tests run no beat)."""
    from portal import audit
    from portal.models import AuditEntry

    audit.integrate()
    return AuditEntry.objects
