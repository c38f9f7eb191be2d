"""Pages of the transparency report: the report of the reader's country over a period, and its
CSV and PDF downloads. What the report holds and who may read it is `exchange.transparency`'s."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from exchange import transparency
from portal.forms import add_errors


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("to"):
            try:
                transparency.period_check(data["start"], data["to"])
            except ValidationError as exc:
                add_errors(self, exc)
        return data


def _period_form(request):
    """The period asked for, or the last 30 days when none is."""
    if "start" in request.GET or "to" in request.GET:
        return PeriodForm(request.GET)
    default = transparency.period_default()
    return PeriodForm({"start": default.first_day.isoformat(), "to": default.last_day.isoformat()})


def _report(request):
    """(form, report): the report is None while the period is not valid."""
    transparency.reader_country_id(request.user)
    form = _period_form(request)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    return form, transparency.transparency_report(request.user, first_day=data["start"], last_day=data["to"])


@login_required
@require_GET
def report_page(request):
    form, report = _report(request)
    context = {"form": form, "report": report}
    if report is None:
        return render(request, "exchange/transparency.html", context, status=400)
    transparency.transparency_read_record(actor=request.user, report=report, fmt="html", request=request)
    query = f"start={report.period.first_day.isoformat()}&to={report.period.last_day.isoformat()}"
    context |= {
        "query": query,
        "chain_statement": transparency.chain_statement(report),
        "tables": transparency.tables(report),
    }
    return render(request, "exchange/transparency.html", context)


def _filename(report, extension):
    period = report.period
    return f"transparency-{report.country.pk}-{period.first_day:%Y%m%d}-{period.last_day:%Y%m%d}.{extension}"


# The downloads: how each format is written, and its content type.
DOWNLOADS = {
    "csv": (transparency.report_csv, "text/csv; charset=utf-8; header=present"),
    "pdf": (transparency.report_pdf, "application/pdf"),
}


def _download(request, fmt):
    form, report = _report(request)
    if report is None:
        return render(request, "exchange/transparency.html", {"form": form, "report": None}, status=400)
    write, content_type = DOWNLOADS[fmt]
    body = write(report)
    transparency.transparency_read_record(actor=request.user, report=report, fmt=fmt, request=request)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{_filename(report, fmt)}"'
    return response


@login_required
@require_GET
def report_csv(request):
    return _download(request, "csv")


@login_required
@require_GET
def report_pdf(request):
    return _download(request, "pdf")
