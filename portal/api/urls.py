from django.urls import include, path

from portal.api import views

urlpatterns = [
    path("me/", views.MeView.as_view(), name="api_me"),
    path("countries/", views.CountryList.as_view(), name="api_country_list"),
    path("agencies/", views.AgencyList.as_view(), name="api_agency_list"),
    path("agreements/", include("agreements.api.urls")),
    path("incidents/", include("incidents.api.urls")),
]
