from django.urls import path

from training.api import views

patrol_patterns = [
    path("", views.PatrolList.as_view(), name="api_patrol_list"),
    path("<int:pk>/", views.PatrolDetail.as_view(), name="api_patrol_detail"),
]
exercise_patterns = [
    path("", views.ExerciseList.as_view(), name="api_exercise_list"),
    path("<int:pk>/", views.ExerciseDetail.as_view(), name="api_exercise_detail"),
]
programme_patterns = [
    path("", views.ProgrammeList.as_view(), name="api_programme_list"),
    path("<int:pk>/", views.ProgrammeDetail.as_view(), name="api_programme_detail"),
]
