from django.urls import path

from incidents import desk_views, live_views, views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("new/", views.incident_create, name="create"),
    path("map/", views.incident_map, name="map"),
    path("map.geojson", views.incident_geojson, name="geojson"),
    path("export.csv", views.incident_csv, name="csv"),
    path("desk/", desk_views.desk_page, name="desk"),
    path("desk/validate/", desk_views.desk_validate, name="desk_validate"),
    path("live/", live_views.live_poll, name="live"),
    path("live/seen/", live_views.live_seen, name="live_seen"),
    path("<int:pk>/", views.incident_detail, name="detail"),
    path("<int:pk>/edit/", views.incident_edit, name="edit"),
    path("<int:pk>/preview/", views.incident_preview, name="preview"),
    path("<int:pk>/follow-up/", views.incident_create, name="follow_up"),
    path("<int:pk>/share/", views.incident_share, name="share"),
    path("<int:pk>/comments/", views.incident_comment, name="comment"),
    path("<int:pk>/attachments/", views.attachment_upload, name="attach"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views.attachment_download, name="attachment"),
    path("<int:pk>/handover/", views.handover_request, name="handover"),
    path("<int:pk>/deliveries/<int:delivery_pk>/redeliver/", views.alert_redeliver, name="redeliver"),
    path("<int:pk>/handover/<int:handover_pk>/<slug:decision>/", views.handover_answer, name="handover_answer"),
    path("<int:pk>/<slug:step>/", views.incident_step, name="step"),
]
