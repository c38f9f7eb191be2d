"""Writes of joint patrols, exercises and programmes, one module per subject: `patrols`,
`exercises`, `lessons` (after-action reports and corrective actions), `programmes`, `courses`,
`assets` and `calendar` (the iCalendar feed address), with the shared steps in `lifecycle`,
`bookings`, `publishing` and `notices`; who may act is decided in `training.permissions`.
Every service checks who acts, validates, writes the audit log, raises the calendar SEQUENCE of
what it changes, and keeps the object's visibility (guardian permissions of the countries taking
part) in the same transaction. Callers import the submodule they use.
"""
