from django.urls import include, path

from alerts.api.views import AlertAck, AlertCap, AlertFeed
from portal.api import views
from training.api.urls import exercise_patterns, patrol_patterns, programme_patterns

urlpatterns = [
    path("me/", views.MeView.as_view(), name="api_me"),
    path("countries/", views.CountryList.as_view(), name="api_country_list"),
    path("agencies/", views.AgencyList.as_view(), name="api_agency_list"),
    path("agreements/", include("agreements.api.urls")),
    path("incidents/", include("incidents.api.urls")),
    path("patrols/", include(patrol_patterns)),
    path("exercises/", include(exercise_patterns)),
    path("programmes/", include(programme_patterns)),
    path("alerts/", AlertFeed.as_view(), name="api_alert_feed"),
    path("alerts/<int:pk>/ack/", AlertAck.as_view(), name="api_alert_ack"),
    path("alerts/<int:pk>/cap.xml", AlertCap.as_view(), name="api_alert_cap"),
]
