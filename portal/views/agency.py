"""Agency administrators manage their own agency's users and API keys."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from portal import selectors, services
from portal.forms import AgencyUserForm, APIKeyForm, UserSearchForm, add_errors
from portal.roles import administers
from portal.views.helpers import perform


def agency_admin_required(view):
    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not administers(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


@agency_admin_required
def user_list(request):
    search = UserSearchForm(request.GET or None)
    filters = search.cleaned_data if search.is_valid() else {}
    users = selectors.agency_users_search(
        user=request.user, q=filters.get("q", ""), role=filters.get("role", ""), status=filters.get("status", "")
    )
    page = Paginator(users, 25).get_page(request.GET.get("page"))
    locked = selectors.locked_usernames(u.username for u in page)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portal/agency/user_list.html",
        {"search": search, "page": page, "locked": locked, "query": query.urlencode()},
    )


@agency_admin_required
@require_http_methods(["GET", "POST"])
def user_create(request):
    form = AgencyUserForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(
                agency=request.user.agency, actor=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s was created and invited by e-mail to set a password.")
                % {"name": user.get_full_name() or user.username},
            )
            return redirect("agency_user_detail", pk=user.pk)
    return render(request, "portal/agency/user_form.html", {"form": form, "creating": True})


@agency_admin_required
@require_http_methods(["GET", "POST"])
def user_detail(request, pk):
    managed = selectors.agency_user_get(user=request.user, pk=pk)
    form = AgencyUserForm(request.POST if request.method == "POST" else None, instance=managed)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.user_update(
                user=managed,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                roles=data["roles"],
                actor=request.user,
                request=request,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("agency_user_detail", pk=managed.pk)
    return render(
        request,
        "portal/agency/user_form.html",
        {
            "form": form,
            "managed": managed,
            "is_locked": managed.username in selectors.locked_usernames([managed.username]),
            "has_mfa": managed.totpdevice_set.filter(confirmed=True).exists(),
        },
    )


# Each action on a user is confirmed on a page of its own before anything changes.
USER_ACTIONS = {
    "deactivate": {
        "title": gettext_lazy("Deactivate this user?"),
        "explanation": gettext_lazy("They will no longer be able to sign in. Their records and audit history stay."),
        "button": gettext_lazy("Deactivate"),
        "danger": True,
    },
    "activate": {
        "title": gettext_lazy("Reactivate this user?"),
        "explanation": gettext_lazy("They will be able to sign in again with their password and second factor."),
        "button": gettext_lazy("Reactivate"),
        "danger": False,
    },
    "unlock": {
        "title": gettext_lazy("Unlock sign-in for this user?"),
        "explanation": gettext_lazy("The failed attempts are cleared and they can try to sign in again at once."),
        "button": gettext_lazy("Unlock"),
        "danger": False,
    },
    "reset-mfa": {
        "title": gettext_lazy("Reset two-factor sign-in for this user?"),
        "explanation": gettext_lazy(
            "Their authenticator app stops working for the portal. At their next sign-in they must enrol a new one. "
            "Do this only after checking their identity, for example when a phone was lost."
        ),
        "button": gettext_lazy("Reset two-factor sign-in"),
        "danger": True,
    },
}


@agency_admin_required
@require_http_methods(["GET", "POST"])
def user_action(request, pk, action):
    managed = selectors.agency_user_get(user=request.user, pk=pk)
    if action not in USER_ACTIONS:
        return redirect("agency_user_detail", pk=managed.pk)
    if request.method == "POST":
        service: Callable[..., Any]
        if action in {"deactivate", "activate"}:
            service, extra = services.user_set_active, {"active": action == "activate"}
            done = _("The user was deactivated.") if action == "deactivate" else _("The user was reactivated.")
        elif action == "unlock":
            service, extra, done = services.user_unlock, {}, _("Sign-in was unlocked.")
        else:
            service, extra = services.mfa_reset, {}
            done = _("Two-factor sign-in was reset; the user enrols again at next sign-in.")
        perform(request, done, service, user=managed, actor=request.user, request=request, **extra)
        return redirect("agency_user_detail", pk=managed.pk)
    cancel_url = reverse("agency_user_detail", args=[managed.pk])
    context = {"subject": managed, "cancel_url": cancel_url, **USER_ACTIONS[action]}
    return render(request, "portal/confirm.html", context)


@agency_admin_required
def api_key_list(request):
    keys = selectors.agency_api_keys_for(request.user).order_by("revoked", "-created")
    page = Paginator(keys, 25).get_page(request.GET.get("page"))
    return render(request, "portal/agency/api_key_list.html", {"page": page})


@agency_admin_required
@require_http_methods(["GET", "POST"])
def api_key_create(request):
    form = APIKeyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            key_obj, raw_key = services.api_key_create(
                agency=request.user.agency,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.cleaned_data["expires_on"],
                actor=request.user,
                request=request,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            # The key is shown on this response only; the portal keeps nothing but its hash.
            response = render(request, "portal/agency/api_key_created.html", {"key": key_obj, "raw_key": raw_key})
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "portal/agency/api_key_form.html", {"form": form})


@agency_admin_required
@require_http_methods(["GET", "POST"])
def api_key_revoke(request, prefix):
    key_obj = selectors.agency_api_key_get(user=request.user, prefix=prefix)
    if request.method == "POST":
        services.api_key_revoke(api_key=key_obj, actor=request.user, request=request)
        messages.success(
            request,
            _("The key %(name)s was revoked. Systems using it are refused from now on.") % {"name": key_obj.name},
        )
        return redirect("agency_api_key_list")
    return render(
        request,
        "portal/confirm.html",
        {
            "subject": key_obj,
            "title": _("Revoke this API key?"),
            "explanation": _("Systems using it are refused at once. This cannot be undone; issue a new key instead."),
            "button": _("Revoke"),
            "danger": True,
            "cancel_url": reverse("agency_api_key_list"),
        },
    )
