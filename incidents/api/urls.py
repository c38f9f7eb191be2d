from django.urls import path

from incidents.api import views

urlpatterns = [
    path("", views.IncidentListCreate.as_view(), name="api_incident_list"),
    path("<int:pk>/", views.IncidentDetail.as_view(), name="api_incident_detail"),
    path("<int:pk>/submit/", views.IncidentSubmit.as_view(), name="api_incident_submit"),
    path("<int:pk>/comments/", views.IncidentComments.as_view(), name="api_incident_comments"),
    path("<int:pk>/stix/", views.IncidentStix.as_view(), name="api_incident_stix"),
    path("<int:pk>/preview/", views.IncidentPreview.as_view(), name="api_incident_preview"),
]
