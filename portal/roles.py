"""Who holds a role for an agency: the one check every administrator page, service and menu
uses. A principal may be a person or a partner system (API key, which holds no roles)."""


def administers(actor, agency_id=None):
    """Whether `actor` is an administrator of the agency `agency_id` (default: their own)."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not getattr(actor, "is_active", True):
        return False
    own = getattr(actor, "agency_id", None)
    return bool(getattr(actor, "is_agency_admin", False) and own and (agency_id is None or own == agency_id))
