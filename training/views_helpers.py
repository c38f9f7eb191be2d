"""Form pages: bind a form to what was posted, run a service with its cleaned data, show the
service's refusal next to the fields it names (`portal.forms.add_errors`), and on success flash
a message and redirect. Nothing here is specific to training: it sits beside
`portal.views.helpers.perform`, which does the same for a button without a form.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from portal.forms import add_errors


def posted(request):
    """The data a form is bound to: what was posted, or None to show the form unbound."""
    return request.POST if request.method == "POST" else None


def form_page(request, form, *, title, cancel_url, save, next_url, success, template="training/form.html", extra=None):
    """Show `form`; once it is posted and valid, run `save(cleaned_data)` (a service call).

    When the service accepts, flash `success` and redirect to `next_url`: a URL, or a function
    of what `save` returned. When it refuses with a ValidationError, the form is shown again
    with the service's messages.
    """
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect(next_url(saved) if callable(next_url) else next_url)
    return render(request, template, {"form": form, "title": title, "cancel_url": cancel_url, **(extra or {})})
