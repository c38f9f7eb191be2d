"""Border sectors and crossing points of each country, and their EUROSUR impact levels
(Regulation (EU) 2019/1896, Art. 34) with the history of every change."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.gate import principal_country_id
from portal.models import ChoiceLabels


class ImpactLevel(models.TextChoices):
    """In rising order: the order of the choices is the order of the levels."""

    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")

    @classmethod
    def rank(cls, value):
        return list(cls.values).index(value)


class CrossingKind(models.TextChoices):
    ROAD = "road", _("Road")
    RAIL = "rail", _("Rail")
    SEA_PORT = "sea_port", _("Sea port")
    AIRPORT = "airport", _("Airport")
    PEDESTRIAN = "pedestrian", _("Pedestrian")


def seeing_country_ids(country_id, day=None):
    """The countries that see a country's sectors on `day`: itself, and every country that is a
    party with it to an agreement in force that day (by its status and its dates)."""
    from agreements.models import AgreementParty, in_force_q

    day = day or timezone.localdate()
    agreements = AgreementParty.objects.filter(in_force_q(day, prefix="agreement__"), country_id=country_id).values(
        "agreement_id"
    )
    partners = AgreementParty.objects.filter(agreement_id__in=agreements).values_list("country_id", flat=True)
    return {country_id, *partners}


class SectorGatedQuerySet(models.QuerySet):
    """Sectors, crossing points and level changes are read through `visible_to` only: the owning
    country, and its partners under an agreement in force at the moment of the read."""

    country_field = "country_id"

    def visible_to(self, principal, at=None):
        country_id = principal_country_id(principal)
        if country_id is None:
            return self.none()
        day = timezone.localdate(at) if at else timezone.localdate()
        # The countries whose sectors this country sees are its partners, by the same symmetric rule.
        return self.filter(**{f"{self.country_field}__in": seeing_country_ids(country_id, day)})

    def get_visible_or_404(self, principal, **lookup):
        from django.http import Http404

        try:
            return self.visible_to(principal).get(**lookup)
        except (self.model.DoesNotExist, ValueError, TypeError):
            raise Http404 from None


class LevelChangeQuerySet(SectorGatedQuerySet):
    country_field = "sector__country_id"


class BorderSector(ChoiceLabels, models.Model):
    """A stretch of a country's border (a line) or an area it watches (a polygon), GeoJSON."""

    country = models.ForeignKey("portal.Country", verbose_name=_("country"), on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=30, help_text=_("Short and unique within the country, e.g. LT-PL-1."))
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    geometry = models.JSONField(
        _("geometry"), help_text=_("A GeoJSON LineString, MultiLineString, Polygon or MultiPolygon (WGS 84).")
    )
    impact_level = models.CharField(
        _("impact level"), max_length=10, choices=ImpactLevel.choices, default=ImpactLevel.LOW
    )
    impact_level_since = models.DateTimeField(_("level since"), default=timezone.now)
    is_active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SectorGatedQuerySet.as_manager()

    class Meta:
        ordering = ["country", "code"]
        verbose_name = _("border sector")
        verbose_name_plural = _("border sectors")
        constraints = [models.UniqueConstraint(fields=["country", "code"], name="sector_code_unique")]

    def __str__(self):
        return f"{self.code} {self.name}"


class CrossingPoint(ChoiceLabels, models.Model):
    country = models.ForeignKey("portal.Country", verbose_name=_("country"), on_delete=models.PROTECT, related_name="+")
    sector = models.ForeignKey(
        BorderSector,
        verbose_name=_("border sector"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="crossing_points",
    )
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=CrossingKind.choices, default=CrossingKind.ROAD)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    is_active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SectorGatedQuerySet.as_manager()

    class Meta:
        ordering = ["country", "name"]
        verbose_name = _("crossing point")
        verbose_name_plural = _("crossing points")
        constraints = [models.UniqueConstraint(fields=["country", "code"], name="crossing_code_unique")]

    def __str__(self):
        return self.name


class ImpactLevelChange(models.Model):
    """The history of a sector's impact level: every change, by whom and why."""

    sector = models.ForeignKey(BorderSector, on_delete=models.CASCADE, related_name="level_changes")
    level = models.CharField(_("impact level"), max_length=10, choices=ImpactLevel.choices)
    previous_level = models.CharField(max_length=10, choices=ImpactLevel.choices, blank=True)
    reason = models.TextField(_("reason"))
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)

    objects = LevelChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-set_at", "-id"]
        indexes = [models.Index(fields=["sector", "-set_at"])]

    def __str__(self):
        return f"{self.sector_id}: {self.previous_level} → {self.level}"

    @property
    def is_rise(self):
        return bool(self.previous_level) and ImpactLevel.rank(self.level) > ImpactLevel.rank(self.previous_level)
