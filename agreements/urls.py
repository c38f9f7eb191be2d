from django.urls import path

from agreements import views

app_name = "agreements"

urlpatterns = [
    path("", views.agreement_list, name="list"),
    path("new/", views.agreement_create, name="create"),
    path("<int:pk>/", views.agreement_detail, name="detail"),
    path("<int:pk>/edit/", views.agreement_edit, name="edit"),
    path("<int:pk>/status/<slug:target>/", views.agreement_transition, name="transition"),
    path("<int:pk>/amend/", views.agreement_amend, name="amend"),
    path("<int:pk>/clauses/new/", views.clause_edit, name="clause_create"),
    path("<int:pk>/clauses/<int:clause_pk>/", views.clause_edit, name="clause_edit"),
    path("<int:pk>/clauses/<int:clause_pk>/delete/", views.clause_delete, name="clause_delete"),
    path("<int:pk>/clauses/iep.json", views.clauses_iep, name="clauses_iep"),
    path("<int:pk>/documents/new/", views.document_upload, name="document_create"),
    path("<int:pk>/documents/<int:document_pk>/versions/new/", views.document_upload, name="document_version"),
    path("<int:pk>/documents/versions/<int:version_pk>/download/", views.document_download, name="download"),
    path("<int:pk>/disputes/new/", views.dispute_create, name="dispute_create"),
    path("<int:pk>/disputes/<int:dispute_pk>/", views.dispute_detail, name="dispute"),
]
