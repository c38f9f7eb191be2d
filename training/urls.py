from django.urls import path

from training import views

app_name = "training"

urlpatterns = [
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/feed/", views.calendar_feed, name="calendar_feed"),
    path("calendar/<str:token>.ics", views.ical, name="ical"),
    path("patrols/", views.patrol_list, name="patrol_list"),
    path("patrols/new/", views.patrol_create, name="patrol_create"),
    path("patrols/<int:pk>/", views.patrol_detail, name="patrol_detail"),
    path("patrols/<int:pk>/edit/", views.patrol_edit, name="patrol_edit"),
    path("patrols/<int:pk>/status/<slug:target>/", views.patrol_transition, name="patrol_transition"),
    path("patrols/<int:pk>/report/", views.patrol_report, name="patrol_report"),
    path("exercises/", views.exercise_list, name="exercise_list"),
    path("exercises/new/", views.exercise_create, name="exercise_create"),
    path("exercises/<int:pk>/", views.exercise_detail, name="exercise_detail"),
    path("exercises/<int:pk>/edit/", views.exercise_edit, name="exercise_edit"),
    path("exercises/<int:pk>/status/<slug:target>/", views.exercise_transition, name="exercise_transition"),
    path("exercises/<int:pk>/participants/new/", views.participant_add, name="participant_add"),
    path(
        "exercises/<int:pk>/participants/<int:participant_pk>/remove/",
        views.participant_remove,
        name="participant_remove",
    ),
    path("exercises/<int:pk>/injects/new/", views.inject_add, name="inject_add"),
    path("exercises/<int:pk>/after-action/", views.after_action, name="after_action"),
    path("exercises/<int:pk>/observations/new/", views.observation_add, name="observation_add"),
    path("exercises/<int:pk>/actions/new/", views.action_add, name="action_add"),
    path("exercises/<int:pk>/actions/<int:action_pk>/", views.action_update, name="action_update"),
    path("programmes/", views.programme_list, name="programme_list"),
    path("programmes/new/", views.programme_create, name="programme_create"),
    path("programmes/<int:pk>/", views.programme_detail, name="programme_detail"),
    path("programmes/<int:pk>/edit/", views.programme_edit, name="programme_edit"),
    path("programmes/<int:pk>/spending/new/", views.spending_add, name="spending_add"),
    path("programmes/<int:pk>/courses/new/", views.course_edit, name="course_create"),
    path("programmes/<int:pk>/courses/<int:course_pk>/", views.course_edit, name="course_edit"),
    path(
        "programmes/<int:pk>/courses/<int:course_pk>/status/<slug:target>/",
        views.course_transition,
        name="course_transition",
    ),
    path("programmes/<int:pk>/indicators/new/", views.indicator_add, name="indicator_add"),
    path(
        "programmes/<int:pk>/indicators/<int:indicator_pk>/measurements/new/",
        views.measurement_add,
        name="measurement_add",
    ),
    path("assets/", views.asset_list, name="asset_list"),
    path("assets/new/", views.asset_edit, name="asset_create"),
    path("assets/<int:pk>/", views.asset_edit, name="asset_edit"),
]
