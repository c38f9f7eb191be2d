"""Interactive API documentation, served from the drf-spectacular sidecar package (no CDN)."""

from csp.decorators import csp_update
from drf_spectacular.views import SpectacularSwaggerSplitView

# Swagger UI sets element styles from its own script and shows data: images; both stay on
# this one page, whose scripts are still only the portal's own files.
api_docs = csp_update({"style-src": ["'unsafe-inline'"]})(SpectacularSwaggerSplitView.as_view(url_name="api_schema"))
