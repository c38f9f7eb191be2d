"""Pages of information exchange: requests for information, hit/no-hit checks, transparency."""

from django.urls import path  # noqa: F401  (the pages add their routes below)

app_name = "exchange"

urlpatterns: list = []
