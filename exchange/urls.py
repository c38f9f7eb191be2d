"""Pages of information exchange: requests for information, hit/no-hit checks, transparency."""

from django.urls import path

from exchange import hit_views, transparency_views
from exchange import views as request_views

app_name = "exchange"

urlpatterns: list = []

# Requests for information and single points of contact (Directive (EU) 2023/977).

urlpatterns += [
    path("requests/", request_views.request_list, name="request_list"),
    path("requests/new/", request_views.request_create, name="request_create"),
    path("requests/<int:pk>/", request_views.request_detail, name="request_detail"),
    path("requests/<int:pk>/answer/", request_views.request_answer, name="request_answer"),
    path("requests/<int:pk>/extend/", request_views.request_extend, name="request_extend"),
    path("requests/<int:pk>/route/", request_views.request_route, name="request_route"),
    path("requests/<int:pk>/withdraw/", request_views.request_withdraw, name="request_withdraw"),
    path(
        "requests/<int:pk>/attachments/<int:attachment_pk>/",
        request_views.attachment_download,
        name="request_attachment",
    ),
    path("spoc/", request_views.spoc_list, name="spoc_list"),
    path("spoc/edit/", request_views.spoc_edit, name="spoc_edit"),
]

# Hit/no-hit checks of identifiers (Prüm II, Regulation (EU) 2024/982).

urlpatterns += [
    path("hits/", hit_views.hit_check_page, name="hit_check"),
    path("hits/ours/", hit_views.hits_on_our_data_page, name="hits_ours"),
]

# The transparency report of a country's data, for its liaison and data-protection officers.

urlpatterns += [
    path("transparency/", transparency_views.report_page, name="transparency"),
    path("transparency/report.csv", transparency_views.report_csv, name="transparency_csv"),
    path("transparency/report.pdf", transparency_views.report_pdf, name="transparency_pdf"),
]
