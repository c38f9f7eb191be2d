"""Serving the files of answers to requests for information: the one place that checks, audits
and streams a download, for the pages and the API alike."""

from django.http import FileResponse, Http404

from exchange import selectors, services


def attachment_response(request, principal, pk, attachment_pk):
    """A file of an answer to a request the principal may read, reached only through its request
    after the same gate; a file that shows or names a person only while a clause allows it. 404
    alike for every other."""
    info_request = selectors.request_get(principal, pk)
    attachment = selectors.attachment_get(principal, info_request, attachment_pk)
    try:
        handle = attachment.file.open("rb")  # a missing file fails here, before anything is recorded
    except FileNotFoundError:
        raise Http404 from None
    services.request_read_record(
        actor=principal, request=info_request, action="exchange.attachment_downloaded", http_request=request
    )
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
