"""The API's own routes; every app adds its routes through `portal.registry` (see each app's
`AppConfig.ready()`)."""

from django.urls import path

from portal import registry
from portal.api import views

urlpatterns = [
    path("me/", views.MeView.as_view(), name="api_me"),
    path("countries/", views.CountryList.as_view(), name="api_country_list"),
    path("agencies/", views.AgencyList.as_view(), name="api_agency_list"),
    *registry.api_urlpatterns(),
]
