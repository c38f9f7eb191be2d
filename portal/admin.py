"""Django admin for the shared core (platform staff only; agency admins use the portal pages)."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.admin import APIKeyModelAdmin

from portal import services
from portal.models import ROLE_FIELDS, Agency, AgencyAPIKey, AuditEntry, Country, User

# Fields of a user that only the services change, so that each change is audited as in the portal.
SERVICE_FIELDS = ("agency", "is_active", "email", "first_name", "last_name", *ROLE_FIELDS.values())


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ["code", "alpha3", "name", "group"]
    search_fields = ["code", "alpha3", "name"]
    readonly_fields = ["code", "alpha3", "numeric", "name", "group"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "country", "kind", "is_active"]
    list_filter = ["kind", "is_active", "country"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["country"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "get_full_name", "agency", "is_active", "is_staff"]
    list_filter = ["agency__country", "agency", "is_active", "is_staff", "is_agency_admin"]
    list_select_related = ["agency"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]  # set on Django's UserAdmin, optional on ModelAdmin
        (
            _("Agency and roles"),
            {
                "fields": (
                    "agency",
                    "is_officer",
                    "is_supervisor",
                    "is_liaison",
                    "is_analyst",
                    "is_dpo",
                    "is_agency_admin",
                )
            },
        ),
    )
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, (_("Agency"), {"fields": ("agency", "email")}))
    actions = ["deactivate_users", "activate_users"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # Country groups follow the agency (they decide what the user sees): never picked by hand.
        if db_field.name == "groups":
            kwargs["queryset"] = Group.objects.filter(country__isnull=True)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        """Save the admin-only fields here; agency, roles, status and names through the services."""
        wanted = {name: getattr(obj, name) for name in SERVICE_FIELDS}
        if change:
            stored = User.objects.select_related("agency").get(pk=obj.pk)
            for name in SERVICE_FIELDS:
                setattr(obj, name, getattr(stored, name))
        else:
            obj.agency = None  # assigned below, so that the assignment is audited
        super().save_model(request, obj, form, change)
        actor = request.user
        services.user_set_agency(user=obj, agency=wanted["agency"], actor=actor, request=request)
        if not change:
            return
        services.user_update(
            user=obj,
            email=wanted["email"],
            first_name=wanted["first_name"],
            last_name=wanted["last_name"],
            roles=[role for role, field in ROLE_FIELDS.items() if wanted[field]],
            actor=actor,
            request=request,
        )
        self._set_active(request, [obj], active=wanted["is_active"])

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Saving the form's groups dropped the country group; the user's agency decides it.
        services.user_sync_country_group(user=form.instance)

    def _set_active(self, request, users, *, active):
        for user in users:
            try:
                services.user_set_active(user=user, active=active, actor=request.user, request=request)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)

    @admin.action(description=_("Deactivate the selected users"), permissions=["change"])
    def deactivate_users(self, request, queryset):
        self._set_active(request, queryset.select_related("agency"), active=False)

    @admin.action(description=_("Reactivate the selected users"), permissions=["change"])
    def activate_users(self, request, queryset):
        self._set_active(request, queryset.select_related("agency"), active=True)


@admin.register(AgencyAPIKey)
class AgencyAPIKeyAdmin(APIKeyModelAdmin):
    # The base class's tuples type these attributes as tuples of their own lengths.
    list_display = [*APIKeyModelAdmin.list_display, "agency"]  # type: ignore[assignment]
    list_filter = [*APIKeyModelAdmin.list_filter, "agency"]  # type: ignore[assignment]

    def has_add_permission(self, request):
        # Keys are issued through the portal or `manage.py api_keys`, which write the audit log.
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["timestamp", "actor_label", "agency", "action", "object_repr", "ip_address"]
    list_filter = ["action", "agency"]
    search_fields = ["actor_label", "object_repr", "action"]
    date_hierarchy = "timestamp"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
