from django.urls import path

from borders.api import views

urlpatterns = [
    path("sectors/", views.SectorList.as_view(), name="api_sector_list"),
    path("sectors/<int:pk>/", views.SectorDetail.as_view(), name="api_sector_detail"),
    path("crossings/", views.CrossingList.as_view(), name="api_crossing_list"),
    path("crossings/<int:pk>/", views.CrossingDetail.as_view(), name="api_crossing_detail"),
    path("nearest/", views.Nearest.as_view(), name="api_nearest"),
]
