"""The one gate that decides who may read shared data.

Access to a shared object is a django-guardian object permission (`view_<model>`) granted to a
country's group, stored in the model's direct-foreign-key permission table. Every read of
shared data (pages, API, downloads, exports, counts, tasks) starts from `visible_to(principal)`;
a person and a partner system (API key) are both principals of one agency, hence one country.
"""

from typing import Any

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import Http404
from guardian.shortcuts import assign_perm, remove_perm
from guardian.utils import get_group_obj_perms_model

from portal.models import Country


def principal_country_id(principal):
    """The principal's country, or None when it may see nothing (no agency, inactive)."""
    if principal is None or not getattr(principal, "is_authenticated", False):
        return None
    if not getattr(principal, "is_active", True):
        return None
    agency = getattr(principal, "agency", None)
    if agency is None or not agency.is_active:
        return None
    return agency.country_id


def principal_group_id(principal):
    """The permission group of the principal's country, or None (sees nothing)."""
    country_id = principal_country_id(principal)
    if country_id is None:
        return None
    # The group may have been created after the principal's objects were loaded.
    return principal.agency.country.group_id or (
        Country.objects.filter(pk=country_id).values_list("group_id", flat=True).first()
    )


def _view_permission(model):
    content_type = ContentType.objects.get_for_model(model)
    return Permission.objects.get(content_type=content_type, codename=f"view_{model._meta.model_name}")


class GatedQuerySet(models.QuerySet):
    """Querysets of shared models; `visible_to` is the only way reads should begin."""

    def visible_to(self, principal):
        group_id = principal_group_id(principal)
        if group_id is None:
            return self.none()
        # The permission table is the model's own direct-foreign-key one, known at run time only.
        perm_model: Any = get_group_obj_perms_model(self.model)  # type: ignore[arg-type]  # a class works too
        grants = perm_model.objects.filter(
            group_id=group_id,
            permission=_view_permission(self.model),
            content_object=models.OuterRef("pk"),
        )
        return self.filter(models.Exists(grants))

    def get_visible_or_404(self, principal, **lookup):
        """The object if the principal may see it; 404 alike for missing and forbidden ones."""
        try:
            return self.visible_to(principal).get(**lookup)
        except (self.model.DoesNotExist, ValueError, TypeError):
            raise Http404 from None


def visible_group_ids(obj):
    """The ids of the country groups that may currently see `obj`."""
    perm_model: Any = get_group_obj_perms_model(obj)
    return set(
        perm_model.objects.filter(content_object=obj, permission=_view_permission(type(obj))).values_list(
            "group_id", flat=True
        )
    )


def share_with_countries(obj, countries):
    """Make `obj` visible to exactly these countries (granting and revoking as needed)."""
    from portal.services import country_group

    wanted = {country_group(country) for country in countries}
    current = visible_group_ids(obj)
    codename = f"{obj._meta.app_label}.view_{obj._meta.model_name}"
    for group in wanted:
        if group.pk not in current:
            assign_perm(codename, group, obj)
    for group in {g for g in _groups(current) if g not in wanted}:
        remove_perm(codename, group, obj)


def _groups(ids):
    from django.contrib.auth.models import Group

    return Group.objects.filter(pk__in=ids)
