"""Serves the layers of the built-in base map (portal.basemap) to the portal's maps.

The layers are public geography, the same for every reader, so no gate applies; they are still
served to signed-in people only, like every page of the portal. A layer is built at its first
request and then read from disk, compressed with gzip when the browser takes it, with an ETag
and a cache lifetime so that moving between map pages does not fetch it again.
"""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import condition, require_GET

from portal import basemap

# An hour: a new MAP_REGION or data package reaches the browsers within that time at the latest.
MAX_AGE = 3600


def _accepts_gzip(request) -> bool:
    for item in request.headers.get("Accept-Encoding", "").lower().split(","):
        coding, _, quality = item.strip().partition(";")
        if coding.strip() in ("gzip", "*"):
            return quality.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def _etag(request, layer):
    # The compressed and the plain body are different representations: each has its own tag.
    return f"{basemap.version()}-{layer}-{'gzip' if _accepts_gzip(request) else 'identity'}"


@require_GET
@login_required
@condition(etag_func=_etag)
def layer(request, layer):
    if layer not in basemap.LAYERS:
        raise Http404
    compressed = _accepts_gzip(request)
    response = FileResponse(
        basemap.layer_file(layer, compressed=compressed).open("rb"),
        content_type="application/geo+json",
        filename=f"{layer}.geojson",
    )
    if compressed:
        response["Content-Encoding"] = "gzip"
    patch_vary_headers(response, ["Accept-Encoding"])
    patch_cache_control(response, private=True, max_age=MAX_AGE)
    return response
