"""Authentication: Django's model backend and django-otp's middleware, each reading what a
signed-in person's request needs in the one query that loads the person."""

import functools
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connections, router
from django.utils.functional import SimpleLazyObject
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware
from django_otp.plugins.otp_totp.models import TOTPDevice
from guardian.backends import ObjectPermissionBackend


class PersonQuery:
    """One statement reading a person, their agency and its country (the gate asks for both on
    every request) and the id of their first confirmed authenticator; the models are built from
    its row as `select_related` would build them, so `person.agency.country` costs no query.

    Written once per process from the models' own fields, rather than built by the ORM on every
    request: building that query cost more than running it."""

    def __init__(self, using):
        connection = connections[using]
        quote = connection.ops.quote_name
        user_model = get_user_model()
        # Two foreign keys; get_field is typed as returning any kind of field or relation.
        agency_field: Any = user_model._meta.get_field("agency")
        country_field: Any = agency_field.related_model._meta.get_field("country")
        self.using = using
        self.parts = []  # (model, its attnames, index of its pk, converters, link from the previous model)
        columns: list[str] = []
        for alias, model, link in (
            ("u", user_model, None),
            ("a", agency_field.related_model, agency_field),
            ("c", country_field.related_model, country_field),
        ):
            self._add(connection, quote, columns, alias, model, link)
        device = TOTPDevice._meta
        confirmed = (
            f"SELECT d.{quote(device.pk.column)} FROM {quote(device.db_table)} d"  # noqa: S608  (names only)
            f" WHERE d.{quote(device.get_field('user').column)} = u.{quote(user_model._meta.pk.column)}"
            f" AND d.{quote(device.get_field('confirmed').column)} ORDER BY d.{quote(device.pk.column)} LIMIT 1"
        )
        self.sql = (
            f"SELECT {', '.join(columns)}, ({confirmed})"  # noqa: S608  (names only; the id is a parameter)
            f" FROM {quote(user_model._meta.db_table)} u"
            f" LEFT JOIN {quote(agency_field.related_model._meta.db_table)} a"
            f" ON a.{quote(agency_field.target_field.column)} = u.{quote(agency_field.column)}"
            f" LEFT JOIN {quote(country_field.related_model._meta.db_table)} c"
            f" ON c.{quote(country_field.target_field.column)} = a.{quote(country_field.column)}"
            f" WHERE u.{quote(user_model._meta.pk.column)} = %s"
        )

    def _add(self, connection, quote, columns, alias, model, link):
        fields = model._meta.concrete_fields
        columns.extend(f"{alias}.{quote(field.column)}" for field in fields)
        # The converters the ORM applies to each column (none for these fields on PostgreSQL).
        converters = []
        for index, field in enumerate(fields):
            column = field.get_col(alias)
            functions = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
            if functions:
                converters.append((index, functions, column))
        primary = fields.index(model._meta.pk)
        self.parts.append((model, [field.attname for field in fields], primary, converters, link))

    def get(self, user_id):
        """The person with that id, or None."""
        connection = connections[self.using]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [user_id])
            row = cursor.fetchone()
        if row is None:
            return None
        start, previous = 0, None
        first: Any = None  # the person: the user's columns are never NULL
        for model, attnames, primary, converters, link in self.parts:
            values = list(row[start : start + len(attnames)])
            start += len(attnames)
            for index, functions, column in converters:
                for convert in functions:
                    values[index] = convert(values[index], column, connection)
            # A missing agency (or country) reads as a row of NULLs, as in select_related.
            instance = model.from_db(self.using, attnames, values) if values[primary] is not None else None
            if previous is None:
                first = instance
            elif link is not None:
                link.set_cached_value(previous, instance)
            previous = instance
            if instance is None:
                break
        first.confirmed_totp_id = row[-1]
        return first


@functools.cache
def person_query(using):
    return PersonQuery(using)


class PortalModelBackend(ModelBackend):
    """Loads a person with their agency and country and the id of their confirmed authenticator,
    which `PortalOTPMiddleware` checks, in one statement (`PersonQuery`)."""

    def get_user(self, user_id):
        user = person_query(router.db_for_read(get_user_model())).get(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class PortalOTPMiddleware(OTPMiddleware):
    """django-otp's middleware, without a query of its own when the session was verified with the
    person's confirmed authenticator: that device's existence, owner and confirmation were read
    with the person. The device itself is loaded only if something asks for it. Any other case
    (several devices, a device since removed) takes django-otp's own path.

    django-otp (1.7) offers no public way to change how the verifying device is found: its
    middleware resolves `request.user` through its private `_verify_user_sync` (which calls
    `_init_user_fields`, then `_finalize_device` on the device named in the session), and only
    those methods see both the person and the session. This override replaces
    `_verify_user_sync`, calls `_init_user_fields`, and reproduces what `_finalize_device`
    checks (the device is the person's and confirmed: the person's query read exactly that).
    `tests/portal/test_otp_middleware.py` pins those methods (names, signatures and code) and
    checks that the portal's middleware and django-otp's agree in every case, so that a
    django-otp upgrade changing them fails there rather than changing who counts as verified.
    The async path (`auser`) is django-otp's own."""

    def _verify_user_sync(self, request, user):
        confirmed_id = getattr(user, "confirmed_totp_id", None)
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY) if user.is_authenticated else None
        if confirmed_id is None or persistent_id != f"{TOTPDevice.model_label()}/{confirmed_id}":
            return super()._verify_user_sync(request, user)
        self._init_user_fields(user)
        user.otp_device = SimpleLazyObject(lambda: TOTPDevice.objects.get(pk=confirmed_id))
        return user


class GatedObjectPermissionBackend(ObjectPermissionBackend):
    """django-guardian's object permissions, with one rule on top: whether a principal may *view*
    an object of a gated model (one whose queryset is a `GatedQuerySet`) is what that model's gate
    says at this moment, never a permission row alone. For incidents the row's validity window
    then counts here too, so `user.has_perm("incidents.view_incident", incident)` cannot disagree
    with the pages, the API or the alerts. Other permissions are guardian's."""

    def has_perm(self, user_obj, perm, obj=None):
        from portal.gate import GatedQuerySet

        if obj is not None and isinstance(type(obj)._default_manager.all(), GatedQuerySet):
            codename = perm.split(".", 1)[-1]
            if codename == f"view_{obj._meta.model_name}":
                return type(obj)._default_manager.visible_to(user_obj).filter(pk=obj.pk).exists()
        return super().has_perm(user_obj, perm, obj)
