"""URLs of the border sector pages."""

from django.urls import path

from borders import views

app_name = "borders"

urlpatterns = [
    path("", views.sector_list, name="list"),
    path("map.geojson", views.sector_geojson, name="geojson"),
    path("new/", views.sector_create, name="create"),
    path("<int:pk>/", views.sector_detail, name="detail"),
    path("<int:pk>/edit/", views.sector_edit, name="edit"),
    path("<int:pk>/level/", views.sector_level, name="level"),
    path("crossings/new/", views.crossing_create, name="crossing_create"),
    path("crossings/<int:pk>/edit/", views.crossing_edit, name="crossing_edit"),
]
