"""Pages of hit/no-hit checks: the check and its answer (country, hit or no hit, references), and
the holder's list of hits on its data. The rules are `exchange.hits`'."""

from typing import cast
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from exchange import hits
from portal.choices import IdentifierKind
from portal.forms import add_errors
from portal.models import Country

# The new-request page a hit leads to, by the names it has had.
REQUEST_FORM_NAMES = ("exchange:request_new", "exchange:request_create")


class HitCheckForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=IdentifierKind.choices)
    value = forms.CharField(label=gettext_lazy("Identifier"), max_length=40)
    country = forms.ChoiceField(
        label=gettext_lazy("Country"),
        required=False,
        help_text=gettext_lazy(
            "That issued the plate or the document; for a phone number, the country of a national number."
        ),
    )
    purpose = forms.CharField(
        label=gettext_lazy("Purpose"),
        max_length=hits.PURPOSE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Why you search: it is kept with the check and shown to the holder of any hit."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        countries = [(country.pk, str(country)) for country in Country.objects.order_by("name")]
        cast(forms.ChoiceField, self.fields["country"]).choices = [("", "—"), *countries]


def _searcher(request):
    if not hits.may_check(request.user):
        raise PermissionDenied(_("Hit/no-hit checks are run by officers, supervisors and liaison officers."))
    return request.user


def request_form_url():
    """The address of the new-request page, or None while the portal has none."""
    for name in REQUEST_FORM_NAMES:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


def result_rows(result, request_url):
    """One row per checked country without a hit, and one per hit: the holder, its reference and,
    when `request_url` is given, the new-request page filled with the holder, the identifier and
    the hit."""
    identifier = result.identifier
    rows = []
    for country in result.checked:
        base = {"country_id": country.country_id, "country_name": country.country_name}
        if not country.hit:
            rows.append({**base, "reference": None, "link": None})
        for ref in country.hits:
            query = {
                "requested_country": country.country_id,
                "kind": identifier.kind,
                "value": identifier.value,
                "country": identifier.country_id or "",
                "hit": ref.hit_id,
            }
            link = f"{request_url}?{urlencode(query)}" if request_url else None
            rows.append({**base, "reference": ref.reference, "link": link})
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def hit_check_page(request):
    user = _searcher(request)
    form = HitCheckForm(request.POST if request.method == "POST" else None)
    context = {"form": form, "sees_ours": hits.may_see_hits_on_our_data(user)}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = hits.hit_check(
                actor=user,
                kind=data["kind"],
                value=data["value"],
                country=data["country"] or None,
                purpose=data["purpose"],
                request=request,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        except hits.TooManyHitChecks as exc:
            minutes = max(1, (exc.retry_after + 59) // 60)
            response = render(request, "exchange/hit_limited.html", {**context, "minutes": minutes}, status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
        else:
            # Requests for information are sent by liaison officers and supervisors.
            requests_handled = hits.may_see_hits_on_our_data(user)
            rows = result_rows(result, request_form_url() if requests_handled else None)
            return render(
                request,
                "exchange/hit_result.html",
                {**context, "result": result, "rows": rows, "requests_handled": requests_handled},
            )
    return render(request, "exchange/hit_check.html", context)


@login_required
@require_GET
def hits_on_our_data_page(request):
    if not hits.may_see_hits_on_our_data(request.user):
        raise PermissionDenied(_("Hits on your country's data are shown to its liaison officers and supervisors."))
    page = Paginator(hits.hits_on_our_data(request.user), 25).get_page(request.GET.get("page"))
    return render(request, "exchange/hits_ours.html", {"page": page, "query": ""})
