"""Test helpers shared by unit and integration tests (they live in portal.testing, which the
benchmarks use too)."""

from portal.testing import Receiver

__all__ = ["Receiver"]
