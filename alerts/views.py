"""Agency administrators manage how alerts reach their agency: subscriptions and their ledger."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from alerts import selectors, services
from alerts.forms import SubscriptionForm
from alerts.models import AlertDelivery, DeliveryState, Subscription
from portal.forms import add_errors
from portal.views.agency import agency_admin_required
from portal.views.helpers import perform


def _own(request, pk):
    return get_object_or_404(Subscription, pk=pk, agency_id=request.user.agency_id)


@agency_admin_required
def subscription_list(request):
    subscriptions = Subscription.objects.filter(agency_id=request.user.agency_id)
    rows = [(s, selectors.endpoint_health(s)) for s in subscriptions]
    return render(request, "alerts/subscriptions/list.html", {"rows": rows})


@agency_admin_required
@require_http_methods(["GET", "POST"])
def subscription_edit(request, pk=None):
    subscription = _own(request, pk) if pk else None
    form = SubscriptionForm(request.POST if request.method == "POST" else None, subscription=subscription)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.subscription_save(
                agency=request.user.agency,
                actor=request.user,
                subscription=subscription,
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The subscription was saved."))
            return redirect("subscription_detail", saved.pk)
    return render(request, "alerts/subscriptions/form.html", {"form": form, "subscription": subscription})


@agency_admin_required
def subscription_detail(request, pk):
    subscription = _own(request, pk)
    deliveries = subscription.deliveries.select_related("alert__sector", "alert__level_change").order_by("-id")
    state = request.GET.get("state", "")
    if state in DeliveryState.values:
        deliveries = deliveries.filter(state=state)
    page = Paginator(deliveries, 50).get_page(request.GET.get("page"))
    page.object_list = selectors.ledger_rows(request.user, page.object_list)
    return render(
        request,
        "alerts/subscriptions/detail.html",
        {
            "subscription": subscription,
            "health": selectors.endpoint_health(subscription),
            "page": page,
            "state": state,
            "states": DeliveryState.choices,
            "query": f"state={state}" if state else "",
        },
    )


@agency_admin_required
@require_http_methods(["GET", "POST"])
def subscription_rotate(request, pk):
    subscription = _own(request, pk)
    if request.method == "POST":
        services.subscription_rotate_secret(subscription=subscription, actor=request.user, request=request)
        messages.success(request, _("A new secret signs from now on, beside the previous one."))
        return redirect("subscription_detail", pk)
    return render(
        request,
        "portal/confirm.html",
        {
            "subject": subscription,
            "title": _("Rotate the signing secret?"),
            "explanation": _(
                "Messages are signed with a new secret and the current one, until the next rotation. "
                "Give the new secret to the receiving system."
            ),
            "button": _("Rotate"),
            "danger": False,
            "cancel_url": reverse("subscription_detail", args=[pk]),
        },
    )


def redeliver_button(request, delivery, back):
    """The redeliver button of a dead letter, on the subscription ledger and on the sender's
    incident page; the service decides who may press it."""
    perform(
        request,
        _("The alert is being sent again."),
        services.redeliver,
        delivery=delivery,
        actor=request.user,
        request=request,
    )
    return redirect(back)


@agency_admin_required
@require_http_methods(["POST"])
def delivery_redeliver(request, pk, delivery_pk):
    subscription = _own(request, pk)
    delivery = get_object_or_404(AlertDelivery, pk=delivery_pk, subscription=subscription)
    return redeliver_button(request, delivery, reverse("subscription_detail", args=[pk]))


@login_required
@require_POST
def level_delivery_redeliver(request, delivery_pk):
    """The sender's redeliver button on a sector's page (a dead letter of a level alert). Only
    the sector's own country finds the delivery; the service admits its supervisors and
    administrators."""
    delivery = get_object_or_404(
        AlertDelivery.objects.select_related("alert__sector"),
        pk=delivery_pk,
        alert__sector__isnull=False,
        alert__sector__country_id=getattr(request.user.agency, "country_id", None),
    )
    return redeliver_button(request, delivery, reverse("borders:detail", args=[delivery.alert.sector_id]))
