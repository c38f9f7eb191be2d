"""Fixtures of the alerts tests."""

import pytest

from alerts.models import Subscription


@pytest.fixture
def subscription(receiver, partner_agency):
    """The partner agency's webhook subscription to `receiver`, signed with its secret."""
    return Subscription.objects.create(
        agency=partner_agency, name="Gateway", channel="webhook", url=receiver.url, secrets=[receiver.secret]
    )
