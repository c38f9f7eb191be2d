"""Root URLs of the portal."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from portal.views import accounts, agency, basemap, core
from portal.views.apidocs import api_docs, partner_guide

handler400 = "portal.views.core.bad_request"
handler403 = "portal.views.core.permission_denied"
handler404 = "portal.views.core.page_not_found"
handler500 = "portal.views.core.server_error"

account_patterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("mfa/setup/", accounts.mfa_setup, name="mfa_setup"),
    path("mfa/verify/", accounts.mfa_verify, name="mfa_verify"),
    path("password/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password-reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", accounts.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]

agency_patterns = [
    path("users/", agency.user_list, name="agency_user_list"),
    path("users/new/", agency.user_create, name="agency_user_create"),
    path("users/<int:pk>/", agency.user_detail, name="agency_user_detail"),
    path("users/<int:pk>/<slug:action>/", agency.user_action, name="agency_user_action"),
    path("api-keys/", agency.api_key_list, name="agency_api_key_list"),
    path("api-keys/new/", agency.api_key_create, name="agency_api_key_create"),
    path("api-keys/<str:prefix>/revoke/", agency.api_key_revoke, name="agency_api_key_revoke"),
]

urlpatterns = [
    path("", core.dashboard, name="dashboard"),
    path("healthz", core.healthz, name="healthz"),
    path("account/", include(account_patterns)),
    path("agency/", include(agency_patterns)),
    path("agency/subscriptions/", include("alerts.urls")),
    path("agreements/", include("agreements.urls")),
    path("incidents/", include("incidents.urls")),
    path("borders/", include("borders.urls")),
    path("training/", include("training.urls")),
    path("exchange/", include("exchange.urls")),
    path("notifications/", core.notification_list, name="notifications"),
    path("basemap/<slug:layer>.geojson", basemap.layer, name="basemap_layer"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("portal.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", api_docs, name="api_docs"),
    path("api/guide/", partner_guide, name="api_guide"),
]
