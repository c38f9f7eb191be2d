"""Navigation entries shown to the signed-in user according to their roles."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.roles import administers


def _on_duty(user):
    """Supervisors of an agency (people, not partner systems) have the duty desk."""
    return getattr(user, "is_supervisor", False) and getattr(user, "agency_id", None) is not None


def _handles_requests(user):
    """Liaison officers and supervisors send and answer requests for information."""
    return (getattr(user, "is_liaison", False) or getattr(user, "is_supervisor", False)) and getattr(
        user, "agency_id", None
    ) is not None


def _searches_identifiers(user):
    """Officers, supervisors and liaison officers run hit/no-hit checks of partners' incidents."""
    return getattr(user, "agency_id", None) is not None and any(
        getattr(user, role, False) for role in ("is_officer", "is_supervisor", "is_liaison")
    )


def _reads_transparency(user):
    """Liaison officers and data-protection officers read their country's transparency report."""
    return (getattr(user, "is_liaison", False) or getattr(user, "is_dpo", False)) and getattr(
        user, "agency_id", None
    ) is not None


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_verified():
        return {"nav_items": []}
    items = [
        (reverse("dashboard"), _("Dashboard")),
        (reverse("incidents:list"), _("Incidents")),
        *([(reverse("incidents:desk"), _("Duty desk"))] if _on_duty(user) else []),
        (reverse("borders:list"), _("Border sectors")),
        (reverse("agreements:list"), _("Agreements")),
        *([(reverse("exchange:request_list"), _("Requests"))] if _handles_requests(user) else []),
        *([(reverse("exchange:hit_check"), _("Hit/no-hit check"))] if _searches_identifiers(user) else []),
        *([(reverse("exchange:transparency"), _("Transparency"))] if _reads_transparency(user) else []),
        (reverse("training:calendar"), _("Calendar")),
        (reverse("training:patrol_list"), _("Patrols")),
        (reverse("training:exercise_list"), _("Exercises")),
        (reverse("training:programme_list"), _("Programmes")),
    ]
    # A partner system (API key) reaching a page has no roles: it gets the plain entries.
    if administers(user):
        items.append((reverse("agency_user_list"), _("Users")))
        items.append((reverse("agency_api_key_list"), _("API keys")))
        items.append((reverse("subscription_list"), _("Alert subscriptions")))
    items.append((reverse("api_docs"), _("API")))
    if getattr(user, "is_staff", False):
        items.append((reverse("admin:index"), _("Administration")))
    current = request.path
    notifications = getattr(user, "notifications", None)
    unread = notifications.filter(read_at__isnull=True).count() if notifications is not None else 0
    # The entry of the page is the one with the longest matching address (the duty desk under
    # /incidents/desk/ is not also "Incidents").
    matching = [url for url, _label in items if current == url or (url != "/" and current.startswith(url))]
    active = max(matching, key=len, default=None)
    return {
        "unread_notifications": unread,
        "nav_items": [{"url": url, "label": label, "active": url == active} for url, label in items],
    }
