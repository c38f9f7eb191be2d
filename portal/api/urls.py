from django.urls import include, path

from incidents.api.alert_views import AlertAck, AlertCap, AlertFeed
from portal.api import views

urlpatterns = [
    path("me/", views.MeView.as_view(), name="api_me"),
    path("countries/", views.CountryList.as_view(), name="api_country_list"),
    path("agencies/", views.AgencyList.as_view(), name="api_agency_list"),
    path("agreements/", include("agreements.api.urls")),
    path("incidents/", include("incidents.api.urls")),
    path("alerts/", AlertFeed.as_view(), name="api_alert_feed"),
    path("alerts/<int:pk>/ack/", AlertAck.as_view(), name="api_alert_ack"),
    path("alerts/<int:pk>/cap.xml", AlertCap.as_view(), name="api_alert_cap"),
]
