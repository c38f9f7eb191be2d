"""Shared core of the portal: countries, agencies, people, API keys, the audit log."""

import gettext as gettext_module
from functools import lru_cache

import pycountry
from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey


@lru_cache(maxsize=8)
def _iso3166_catalog(language):
    return gettext_module.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True)


class Country(models.Model):
    """An ISO 3166-1 country; the rows come from pycountry in a data migration."""

    code = models.CharField(_("code"), max_length=2, primary_key=True)
    alpha3 = models.CharField(_("alpha-3 code"), max_length=3, unique=True)
    numeric = models.CharField(_("numeric code"), max_length=3, unique=True)
    name = models.CharField(_("name"), max_length=100)
    group = models.OneToOneField(
        Group,
        verbose_name=_("permission group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="country",
        help_text=_("Object permissions shared with this country are granted to this group."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")

    def __str__(self):
        return self.localized_name

    @property
    def localized_name(self):
        return _iso3166_catalog(get_language() or settings.LANGUAGE_CODE).gettext(self.name)

    @property
    def group_name(self):
        return f"country:{self.code}"


class AgencyKind(models.TextChoices):
    BORDER_GUARD = "border_guard", _("Border guard")
    COAST_GUARD = "coast_guard", _("Coast guard")
    CUSTOMS = "customs", _("Customs")
    POLICE = "police", _("Police")
    INTERNATIONAL = "international", _("International organisation")


class Agency(models.Model):
    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(
        _("short code"),
        max_length=20,
        unique=True,
        help_text=_("Short upper-case code, such as LT-SBGS."),
    )
    country = models.ForeignKey(Country, verbose_name=_("country"), on_delete=models.PROTECT, related_name="agencies")
    kind = models.CharField(_("kind"), max_length=20, choices=AgencyKind.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["country__name", "name"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self):
        return f"{self.name} ({self.code})"


class Role(models.TextChoices):
    OFFICER = "officer", _("Officer")
    SUPERVISOR = "supervisor", _("Supervisor")
    LIAISON = "liaison", _("Liaison officer")
    ANALYST = "analyst", _("Analyst")
    DPO = "dpo", _("Data-protection officer")
    AGENCY_ADMIN = "agency_admin", _("Agency administrator")


ROLE_FIELDS = {
    Role.OFFICER: "is_officer",
    Role.SUPERVISOR: "is_supervisor",
    Role.LIAISON: "is_liaison",
    Role.ANALYST: "is_analyst",
    Role.DPO: "is_dpo",
    Role.AGENCY_ADMIN: "is_agency_admin",
}


class User(AbstractUser):
    """A person using the portal, member of one agency; roles are independent flags."""

    email = models.EmailField(_("e-mail address"), blank=True)
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    is_officer = models.BooleanField(_("officer"), default=False)
    is_supervisor = models.BooleanField(_("supervisor"), default=False)
    is_liaison = models.BooleanField(_("liaison officer"), default=False)
    is_analyst = models.BooleanField(_("analyst"), default=False)
    # Reads the transparency report of the agency's country (`exchange.transparency`).
    is_dpo = models.BooleanField(_("data-protection officer"), default=False)
    is_agency_admin = models.BooleanField(_("agency administrator"), default=False)

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]  # defined at runtime, missing from the stubs
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]

    @property
    def country(self):
        return self.agency.country if self.agency is not None else None

    @property
    def roles(self):
        return [role for role, field in ROLE_FIELDS.items() if getattr(self, field)]

    def has_role(self, role):
        return bool(getattr(self, ROLE_FIELDS[Role(role)]))

    def role_labels(self):
        return [Role(role).label for role in self.roles]


class APIScope(models.TextChoices):
    INCIDENTS_READ = "incidents:read", _("Read shared incidents")
    INCIDENTS_WRITE = "incidents:write", _("File and submit the agency's own incidents")
    ALERTS_READ = "alerts:read", _("Read alerts")
    ALERTS_ACK = "alerts:ack", _("Acknowledge alerts")
    AGREEMENTS_READ = "agreements:read", _("Read agreements")
    TRAINING_READ = "training:read", _("Read joint patrols, exercises and programmes")
    BORDERS_READ = "borders:read", _("Read border sectors and crossing points")
    EXCHANGE_SEARCH = "exchange:search", _("Run hit/no-hit checks")
    REQUESTS_READ = "requests:read", _("Read requests for information sent and received")
    REQUESTS_WRITE = "requests:write", _("Send, answer, extend and withdraw requests for information")


def validate_scopes(value):
    if not isinstance(value, list) or not value:
        raise ValidationError(_("Choose at least one scope."))
    unknown = sorted(set(value) - set(APIScope.values))
    if unknown:
        raise ValidationError(_("Unknown scopes: %(scopes)s"), params={"scopes": ", ".join(unknown)})


class AgencyAPIKey(AbstractAPIKey):
    """A partner system's key. Only a hash is stored; the key is shown once at creation."""

    agency = models.ForeignKey(Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="api_keys")
    scopes = models.JSONField(_("scopes"), default=list, validators=[validate_scopes])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("API key")  # type: ignore[assignment]  # lazy string where the base Meta has a plain one
        verbose_name_plural = _("API keys")  # type: ignore[assignment]  # as above

    @property
    def state(self):
        if self.revoked:
            return "revoked"
        if self.has_expired:
            return "expired"
        return "active"

    def get_state_display(self):
        return {"revoked": _("Revoked"), "expired": _("Expired"), "active": _("Active")}[self.state]

    def scope_labels(self):
        return [APIScope(s).label for s in self.scopes if s in APIScope.values]


class ChoiceLabels:
    """A model mixin: `get_<field>_display()` from a dict made once per field.

    Django's own builds a dict of every choice on each call, translating every lazy label to hash
    it; a list of fifty incidents with four such columns spent more time there than anywhere
    else. Only the label shown is translated here, in the active language.

    Django generates `get_<field>_display()` from its private `Model._get_FIELD_display`, and
    offers no public hook to change how; what it documents is the method itself, and that a
    model may define its own. So, once each model class is prepared (`class_prepared`), the
    mixin puts its own method in place of each one Django generated on that class, and leaves
    alone any the model's body defines (as Django does). Choices given by a callable are read
    on every call, as Django reads them. `tests/portal/test_choice_labels.py` checks every field
    with choices of the portal against Django's own display, in English and French."""

    def __init_subclass__(cls, **kwargs):
        from django.db.models.signals import class_prepared

        super().__init_subclass__(**kwargs)
        # Defined in the class body; Django adds the generated ones later, with the fields.
        own = {name for name in vars(cls) if name.startswith("get_") and name.endswith("_display")}

        def prepared(sender, **kwargs):
            class_prepared.disconnect(prepared, sender=cls)
            meta = sender._meta  # the fields Django contributed to this class (its generated methods are on it)
            for field in [*meta.local_fields, *meta.local_many_to_many, *meta.private_fields]:
                name = f"get_{field.name}_display"
                if getattr(field, "choices", None) is not None and name in vars(sender) and name not in own:
                    setattr(sender, name, ChoiceLabels._display(field, name))

        class_prepared.connect(prepared, sender=cls, weak=False)

    @staticmethod
    def _display(field, name):
        from django.utils.hashable import make_hashable

        attname = field.attname
        labels: dict | None = None

        def display(self):
            nonlocal labels
            value = getattr(self, attname)
            choices = labels
            if choices is None:
                choices = {make_hashable(choice): shown for choice, shown in ChoiceLabels._flat(field.choices)}
                if isinstance(field.choices, list | tuple):  # not a callable's, read anew each time
                    labels = choices
            try:
                label = choices.get(value, value)
            except TypeError:  # an unhashable value (say, of a JSONField), as Django looks it up
                label = choices.get(make_hashable(value), value)
            return force_str(label, strings_only=True)

        display.__name__ = display.__qualname__ = name
        return display

    @staticmethod
    def _flat(choices):
        """(value, label) of every choice, those of groups included."""
        for value, label in choices:
            if isinstance(label, list | tuple):
                yield from label
            else:
                yield value, label


class AppendOnlyError(Exception):
    pass


class AuditRecord(models.Model):
    """What an audit entry says: who did what to which object, when and from where."""

    timestamp = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("actor label"), max_length=200, blank=True)
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=150, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    # Not a column: set on the entries `portal.audit.recent` returns, True once an entry is chained.
    chained: bool

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.timestamp:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action}"


class AuditQueueEntry(AuditRecord):
    """An audit entry as recorded, waiting to be chained: the audit log's outbox.

    Recording is one INSERT in the caller's transaction (no lock, so requests never queue behind
    one another for the chain); `portal.audit.integrate` moves these rows into the chain in
    order, every few seconds (beat) and before the chain is verified. Reading the log never
    writes: `portal.audit.recent` shows what is queued beside what is chained."""

    timestamp = models.DateTimeField(_("time"), default=timezone.now)
    action = models.CharField(_("action"), max_length=64)

    class Meta:
        ordering = ["id"]


class AuditEntry(AuditRecord):
    """One line of the append-only audit log; each line holds the hash of the one before."""

    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [models.Index(fields=["agency", "-timestamp"])]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit entries cannot be deleted.")


class AuditChainHead(models.Model):
    """A single row holding the hash of the newest audit entry; locked while appending."""

    last_hash = models.CharField(max_length=64)
    length = models.BigIntegerField(default=0)

    def __str__(self):
        return f"{self.length} entries, last {self.last_hash[:12]}"


class Heartbeat(models.Model):
    """Last sign of life of a background component (written by a periodic task)."""

    name = models.CharField(max_length=50, primary_key=True)
    at = models.DateTimeField()
    hostname = models.CharField(max_length=200, blank=True)

    def __str__(self):
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"


class Notification(models.Model):
    """A message for one user, shown in the portal and also sent by e-mail."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self):
        return self.title
