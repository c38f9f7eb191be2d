"""Pages of border sectors and crossing points. Every read starts from the gate; a sector of a
country that is no partner now answers 404, like a missing one; partners see but never edit."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from borders import selectors, services
from borders.forms import LONG_SECTOR_KM, CrossingForm, LevelForm, SectorFilterForm, SectorForm
from borders.geometry import line_length_km, lines_of
from borders.models import ImpactLevel
from portal.forms import add_errors
from portal.gate import principal_country_id


def _tiles():
    return {"tile_url": settings.MAP_TILE_URL, "tile_attribution": settings.MAP_TILE_ATTRIBUTION}


def _own_country_id(user):
    return principal_country_id(user)


def _not_editor():
    return _("Only liaison officers and supervisors of the owning country edit its border sectors.")


def _query_without(request, name):
    query = request.GET.copy()
    query.pop(name, None)
    return query.urlencode()


@login_required
def sector_list(request):
    filters = SectorFilterForm(request.GET or None, countries=selectors.partner_country_ids(request.user))
    data = filters.cleaned_data if filters.is_valid() else {}
    sectors = selectors.sector_search(
        request.user, q=data.get("q", ""), country=data.get("country"), level=data.get("level", "")
    )
    page = Paginator(sectors, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "borders/list.html",
        {
            "filters": filters,
            "page": page,
            "query": _query_without(request, "page"),
            "can_create": services.may_edit(request.user, _own_country_id(request.user)),
        },
    )


@login_required
def sector_geojson(request):
    """Visible sectors and crossing points in use, as GeoJSON (RFC 7946), for every map."""
    return JsonResponse(selectors.map_features(request.user), content_type="application/geo+json")


@login_required
def sector_detail(request, pk):
    sector = selectors.sector_get(request.user, pk)
    history = Paginator(selectors.level_history(request.user, sector), 20).get_page(request.GET.get("history"))
    incidents = Paginator(selectors.sector_incidents(request.user, sector), 20).get_page(request.GET.get("page"))
    length = round(sum(line_length_km(line) for line in lines_of(sector.geometry)), 1)
    return render(
        request,
        "borders/detail.html",
        {
            "sector": sector,
            "length_km": length,
            "crossings": selectors.crossing_search(request.user, sector=sector),
            "history": history,
            "incidents": incidents,
            "can_edit": services.may_edit(request.user, sector.country_id),
            "can_set_level": services.may_set_level(request.user, sector),
            **_tiles(),
        },
    )


def _sector_form_page(request, sector=None):
    form = SectorForm(request.POST if request.method == "POST" else None, sector=sector)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.sector_save(actor=request.user, sector=sector, request=request, **form.sector_fields())
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Sector %(code)s saved.") % {"code": saved.code})
            return redirect("borders:detail", saved.pk)
    return render(
        request,
        "borders/sector_form.html",
        {
            "form": form,
            "sector": sector,
            "long_km": LONG_SECTOR_KM,
            "cancel_url": reverse("borders:detail", args=[sector.pk]) if sector else reverse("borders:list"),
            **_tiles(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def sector_create(request):
    if not services.may_edit(request.user, _own_country_id(request.user)):
        raise PermissionDenied(_not_editor())
    return _sector_form_page(request)


@login_required
@require_http_methods(["GET", "POST"])
def sector_edit(request, pk):
    sector = selectors.sector_get(request.user, pk)
    if not services.may_edit(request.user, sector.country_id):
        raise PermissionDenied(_not_editor())
    return _sector_form_page(request, sector)


@login_required
@require_http_methods(["GET", "POST"])
def sector_level(request, pk):
    """Set the impact level: the form, then a confirmation naming the change, then the change."""
    sector = selectors.sector_get(request.user, pk)
    if not services.may_set_level(request.user, sector):
        raise PermissionDenied(_("Only a supervisor of the owning country sets a sector's impact level."))
    form = LevelForm(request.POST if request.method == "POST" else None, sector=sector)
    context = {"sector": sector, "form": form, "cancel_url": reverse("borders:detail", args=[sector.pk])}
    if request.method == "POST" and form.is_valid():
        level, reason = form.cleaned_data["level"], form.cleaned_data["reason"]
        if request.POST.get("confirmed") != "1":
            rise = ImpactLevel.rank(level) > ImpactLevel.rank(sector.impact_level)
            return render(
                request,
                "borders/level_confirm.html",
                {**context, "level": level, "level_label": ImpactLevel(level).label, "reason": reason, "rise": rise},
            )
        try:
            services.impact_level_set(sector=sector, level=level, reason=reason, actor=request.user, request=request)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(code)s is now at impact level %(level)s.")
                % {"code": sector.code, "level": ImpactLevel(level).label},
            )
            return redirect("borders:detail", sector.pk)
    return render(request, "borders/level_form.html", context)


def _crossing_form_page(request, crossing=None):
    country_id = crossing.country_id if crossing else _own_country_id(request.user)
    sectors = selectors.sector_choices(request.user, [country_id])
    initial = None
    if crossing is None and request.GET.get("sector", "").isdigit():
        initial = {"sector": int(request.GET["sector"]), "kind": "road", "is_active": True}
    form = CrossingForm(
        request.POST if request.method == "POST" else None, sectors=sectors, crossing=crossing, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.crossing_save(
                actor=request.user, crossing=crossing, request=request, **form.crossing_fields()
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Crossing point %(name)s saved.") % {"name": saved.name})
            return redirect("borders:detail", saved.sector_id) if saved.sector_id else redirect("borders:list")
    back = crossing.sector_id if crossing else None
    return render(
        request,
        "borders/crossing_form.html",
        {
            "form": form,
            "crossing": crossing,
            "cancel_url": reverse("borders:detail", args=[back]) if back else reverse("borders:list"),
            **_tiles(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def crossing_create(request):
    if not services.may_edit(request.user, _own_country_id(request.user)):
        raise PermissionDenied(_not_editor())
    return _crossing_form_page(request)


@login_required
@require_http_methods(["GET", "POST"])
def crossing_edit(request, pk):
    crossing = selectors.crossing_get(request.user, pk)
    if not services.may_edit(request.user, crossing.country_id):
        raise PermissionDenied(_not_editor())
    return _crossing_form_page(request, crossing)
