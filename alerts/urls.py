"""The agency administrators' pages of alert subscriptions (under /agency/subscriptions/)."""

from django.urls import path

from alerts import views

urlpatterns = [
    path("", views.subscription_list, name="subscription_list"),
    path("new/", views.subscription_edit, name="subscription_create"),
    path("<int:pk>/", views.subscription_detail, name="subscription_detail"),
    path("<int:pk>/edit/", views.subscription_edit, name="subscription_edit"),
    path("<int:pk>/rotate/", views.subscription_rotate, name="subscription_rotate"),
    path("<int:pk>/deliveries/<int:delivery_pk>/redeliver/", views.delivery_redeliver, name="delivery_redeliver"),
    # The sender's button on a sector's page (any signed-in user reaches it; the service decides).
    path(
        "levels/deliveries/<int:delivery_pk>/redeliver/",
        views.level_delivery_redeliver,
        name="level_delivery_redeliver",
    ),
]
