"""Capacity-building programmes: the programme itself (funding, budget, dates, participating
agencies), its spending within the budget, and the indicators measured against their targets.
Courses given under a programme are in `training.services.courses`.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import audit
from training.models import FundingSource, Indicator, Measurement, Programme, Spending
from training.permissions import require_manager, require_planner
from training.services.publishing import share


def _spent(programme):
    return programme.spending.aggregate(total=Sum("amount"))["total"] or 0


def _funder(source_kind, funder_country):
    """The funding state: required when a partner state funds, dropped otherwise."""
    if source_kind == FundingSource.PARTNER_STATE and funder_country is None:
        raise ValidationError({"funder_country": _("Name the funding state.")})
    return funder_country if source_kind == FundingSource.PARTNER_STATE else None


def _check_plan(actor, agencies, funder_country, starts_on, ends_on):
    if (
        actor.agency_id not in {a.pk for a in agencies}
        and getattr(funder_country, "pk", None) != actor.agency.country_id
    ):
        raise ValidationError({"agencies": _("Your agency must take part, or your state fund the programme.")})
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The end must come after the start.")})


def _check_budget(programme, budget):
    """A changed budget still covers what is already spent."""
    if programme is None:
        return
    spent = _spent(programme)
    if budget < spent:
        raise ValidationError(
            {"budget": _("%(spent)s is already spent; the budget cannot be lower.") % {"spent": spent}}
        )


@transaction.atomic
def programme_save(
    *,
    actor,
    title,
    source_kind,
    funder_name,
    budget,
    starts_on,
    ends_on,
    agencies,
    funder_country=None,
    currency="EUR",
    description="",
    programme=None,
    request=None,
):
    require_planner(actor, _("Only liaison officers and supervisors manage programmes."))
    if programme is not None:
        programme = Programme.objects.select_for_update().get(pk=programme.pk)
        require_manager(actor, programme)
    agencies = list(agencies)
    if not agencies:
        raise ValidationError({"agencies": _("Choose the participating agencies.")})
    funder_country = _funder(source_kind, funder_country)
    _check_plan(actor, agencies, funder_country, starts_on, ends_on)
    _check_budget(programme, budget)
    created = programme is None
    programme = programme or Programme(created_by=actor)
    programme.title, programme.description, programme.source_kind = title.strip(), description, source_kind
    programme.funder_name, programme.funder_country, programme.budget = funder_name.strip(), funder_country, budget
    programme.currency, programme.starts_on, programme.ends_on = currency.upper(), starts_on, ends_on
    programme.full_clean(exclude=["created_by"])
    programme.save()
    programme.agencies.set(agencies)
    share(programme)
    audit.record("programme.saved", actor=actor, obj=programme, request=request, details={"new": created})
    return programme


@transaction.atomic
def spending_add(*, programme, actor, spent_on, amount, description, request=None):
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    require_manager(actor, programme)
    spent = _spent(programme)
    if spent + amount > programme.budget:
        raise ValidationError(
            {
                "amount": _("This exceeds the budget: %(left)s %(cur)s is left.")
                % {"left": programme.budget - spent, "cur": programme.currency}
            }
        )
    item = Spending.objects.create(
        programme=programme, spent_on=spent_on, amount=amount, description=description.strip()
    )
    audit.record(
        "programme.spending_added", actor=actor, obj=programme, request=request, details={"amount": str(amount)}
    )
    return item


@transaction.atomic
def indicator_save(*, programme, actor, name, baseline, target, unit="", request=None):
    require_manager(actor, programme)
    if baseline == target:
        raise ValidationError({"target": _("The target must differ from the baseline.")})
    indicator = Indicator.objects.create(
        programme=programme, name=name.strip(), unit=unit.strip(), baseline=baseline, target=target
    )
    audit.record(
        "programme.indicator_added", actor=actor, obj=programme, request=request, details={"indicator": indicator.pk}
    )
    return indicator


@transaction.atomic
def measurement_add(*, indicator, actor, measured_on, value, request=None):
    require_manager(actor, indicator.programme)
    if measured_on > timezone.localdate():
        raise ValidationError({"measured_on": _("A measurement cannot be in the future.")})
    if indicator.measurements.filter(measured_on=measured_on).exists():
        raise ValidationError({"measured_on": _("A value was already recorded on that day.")})
    measurement = Measurement.objects.create(indicator=indicator, measured_on=measured_on, value=value)
    audit.record(
        "programme.measurement_added",
        actor=actor,
        obj=indicator.programme,
        request=request,
        details={"indicator": indicator.pk, "value": str(value)},
    )
    return measurement
