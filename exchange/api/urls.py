from django.urls import path

from exchange.api import views

urlpatterns = [
    path("", views.HitCheckCreate.as_view(), name="api_exchange_hits"),
]
