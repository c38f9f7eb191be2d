"""Routes of the information exchange API, mounted by `ExchangeConfig.ready()`: hit/no-hit
checks under /api/v1/exchange/hits/, requests for information under /api/v1/exchange/requests/."""

from django.urls import path

from exchange.api import views

hit_patterns = [
    path("", views.HitCheckCreate.as_view(), name="api_exchange_hits"),
]

request_patterns = [
    path("", views.RequestListCreate.as_view(), name="api_exchange_request_list"),
    path("<int:pk>/", views.RequestDetail.as_view(), name="api_exchange_request_detail"),
    path("<int:pk>/answer/", views.RequestAnswerCreate.as_view(), name="api_exchange_request_answer"),
    path("<int:pk>/extend/", views.RequestExtend.as_view(), name="api_exchange_request_extend"),
    path("<int:pk>/withdraw/", views.RequestWithdraw.as_view(), name="api_exchange_request_withdraw"),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/",
        views.AnswerAttachmentDownload.as_view(),
        name="api_exchange_request_attachment",
    ),
]
