"""Writes of joint patrols, exercises and programmes, one module per subject: `patrols`,
`exercises`, `lessons` (after-action reports and corrective actions), `programmes`, `courses`,
`assets` and `calendar` (the iCalendar feed address), with the shared steps in `lifecycle`,
`bookings`, `publishing` and `notices`; who may act is decided in `training.permissions`.
Every service checks who acts, validates, writes the audit log, raises the calendar SEQUENCE of
what it changes, and keeps the object's visibility (guardian permissions of the countries taking
part) in the same transaction. Callers import the submodule they use; the names below are kept
only for the callers outside the training app that still import them from here.
"""

from training.permissions import taking_part
from training.services.assets import asset_save
from training.services.calendar import calendar_feed_issue
from training.services.courses import course_save
from training.services.exercises import exercise_participant_add, exercise_save, inject_add
from training.services.lessons import after_action_save, corrective_action_add
from training.services.lifecycle import activity_transition
from training.services.patrols import patrol_report_save, patrol_save
from training.services.programmes import indicator_save, programme_save, spending_add

__all__ = [
    "activity_transition",
    "after_action_save",
    "asset_save",
    "calendar_feed_issue",
    "corrective_action_add",
    "course_save",
    "exercise_participant_add",
    "exercise_save",
    "indicator_save",
    "inject_add",
    "patrol_report_save",
    "patrol_save",
    "programme_save",
    "spending_add",
    "taking_part",
]
