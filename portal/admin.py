"""Django admin for the shared core (platform staff only; agency admins use the portal pages)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.admin import APIKeyModelAdmin

from portal.models import Agency, AgencyAPIKey, AuditEntry, Country, User


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
        *BaseUserAdmin.fieldsets,
        (
            _("Agency and roles"),
            {"fields": ("agency", "is_officer", "is_supervisor", "is_liaison", "is_analyst", "is_agency_admin")},
        ),
    )
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, (_("Agency"), {"fields": ("agency", "email")}))


@admin.register(AgencyAPIKey)
class AgencyAPIKeyAdmin(APIKeyModelAdmin):
    list_display = [*APIKeyModelAdmin.list_display, "agency"]
    list_filter = [*APIKeyModelAdmin.list_filter, "agency"]

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
