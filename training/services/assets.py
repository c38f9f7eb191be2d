"""The register of an agency's vessels, vehicles and other assets that patrols and exercises book."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from portal import audit
from training.models import Asset
from training.permissions import require_asset_keeper


@transaction.atomic
def asset_save(*, actor, kind, identifier, name, is_active=True, asset=None, request=None):
    require_asset_keeper(actor, asset)
    identifier = identifier.strip()
    agency = actor.agency
    if (
        Asset.objects.filter(agency=agency, identifier__iexact=identifier)
        .exclude(pk=getattr(asset, "pk", None))  # type: ignore[misc]  # pk=None (a new asset) excludes nothing
        .exists()
    ):
        raise ValidationError(
            {"identifier": _("Your agency already registered an asset as %(id)s.") % {"id": identifier}}
        )
    asset = asset or Asset(agency=agency)
    asset.kind, asset.identifier, asset.name, asset.is_active = kind, identifier, name.strip(), is_active
    asset.full_clean()
    asset.save()
    audit.record("asset.saved", actor=actor, obj=asset, request=request)
    return asset
