"""Small pieces shared by the portal's views."""

from django.contrib import messages
from django.core.exceptions import ValidationError


def perform(request, success_message, service, /, **kwargs):
    """Run a service for a button: flash its refusal messages, or the success message (text,
    or a function of the service's result). Returns the result, or None when it was refused."""
    try:
        result = service(**kwargs)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return None
    messages.success(request, success_message(result) if callable(success_message) else success_message)
    return result
