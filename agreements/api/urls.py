from django.urls import path

from agreements.api import views

urlpatterns = [
    path("", views.AgreementListCreate.as_view(), name="api_agreement_list"),
    path("<int:pk>/", views.AgreementDetail.as_view(), name="api_agreement_detail"),
    path("<int:pk>/transition/", views.AgreementTransition.as_view(), name="api_agreement_transition"),
    path("<int:pk>/clauses/", views.ClauseCreate.as_view(), name="api_agreement_clauses"),
    path("<int:pk>/clauses/iep/", views.ClausesIEP.as_view(), name="api_agreement_iep"),
    path(
        "<int:pk>/documents/<int:version_id>/download/",
        views.DocumentDownload.as_view(),
        name="api_agreement_download",
    ),
]
