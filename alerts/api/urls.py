from django.urls import path

from alerts.api.views import AlertAck, AlertCap, AlertFeed

urlpatterns = [
    path("", AlertFeed.as_view(), name="api_alert_feed"),
    path("<int:pk>/ack/", AlertAck.as_view(), name="api_alert_ack"),
    path("<int:pk>/cap.xml", AlertCap.as_view(), name="api_alert_cap"),
]
