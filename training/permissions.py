"""Who may act on joint work. Planners (liaison officers and supervisors) plan patrols, exercises
and programmes; the managers of one are the planners of an agency taking part (for a programme,
also of the funding state); planners and agency administrators register their agency's assets;
officers and supervisors of an agency taking part file incidents in an exercise under way. The
checks only read: the services and the pages both ask here before they write or offer a step.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from portal import gate
from portal.roles import administers
from training.models import Patrol, Programme
from training.selectors import exercises_running_for


def is_planner(user):
    """Liaison officers and supervisors plan and review joint work."""
    return (
        getattr(user, "api_key", None) is None
        and (getattr(user, "is_liaison", False) or getattr(user, "is_supervisor", False))
        and gate.principal_group_id(user) is not None
    )


def require_planner(user, refusal=None):
    """Refuse whoever is not a planner, with `refusal` (what planners do) or the general word."""
    if not is_planner(user):
        raise PermissionDenied(refusal or _("Only liaison officers and supervisors plan joint work."))


def taking_part(obj):
    """The agencies of a patrol or an exercise, the commander or host first."""
    if isinstance(obj, Patrol):
        agencies = [p.agency for p in obj.participants.select_related("agency")]
        lead = obj.commanding_agency
    else:
        agencies = list(obj.agencies.all())
        lead = obj.host_agency
    return [lead, *[a for a in agencies if a.pk != lead.pk]]


def can_manage(user, obj):
    """Planners of an agency taking part (for a programme, also of the funding state)."""
    if not is_planner(user):
        return False
    if isinstance(obj, Programme):
        return obj.funder_country_id == user.agency.country_id or obj.agencies.filter(pk=user.agency_id).exists()
    return user.agency_id in {agency.pk for agency in taking_part(obj)}


def require_manager(user, obj):
    if not can_manage(user, obj):
        raise PermissionDenied(_("Only liaison officers and supervisors of an agency taking part may change this."))


def may_register_assets(user):
    """Planners and agency administrators keep their agency's register of vessels and vehicles."""
    return is_planner(user) or administers(user)


def require_asset_keeper(user, asset=None):
    """Refuse whoever may not register assets, and any change to another agency's asset."""
    if not may_register_assets(user):
        raise PermissionDenied(_("Only liaison officers, supervisors and agency administrators register assets."))
    if asset is not None and asset.agency_id != user.agency.pk:
        raise PermissionDenied(_("This asset belongs to another agency."))


def may_file_in(user, exercise):
    """Officers and supervisors file incidents in an exercise under way that their agency takes part in."""
    return exercises_running_for(user).filter(pk=exercise.pk).exists() and (user.is_officer or user.is_supervisor)
