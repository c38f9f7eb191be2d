"""Background work of the sharing engine."""

from celery import shared_task

from incidents import live, sharing


@shared_task(name="incidents.tasks.revoke_lapsed_grants")
def revoke_lapsed_grants():
    """Beat, tidy-up only: revoke in the ledger the shares that ended in time and send their
    Cancels (reads already end them at the moment they end)."""
    return sharing.revoke_lapsed()


@shared_task(name="incidents.tasks.resync_for_agreement")
def resync_for_agreement(resync_id):
    """An agreement now allows more: share what its clauses allow (one outbox row, idempotent)."""
    return sharing.resync_run(resync_id)


@shared_task(name="incidents.tasks.sweep_sharing_resyncs")
def sweep_sharing_resyncs():
    """Beat: outbox rows of the sharing engine that no worker took."""
    return sharing.resync_sweep()


@shared_task(name="incidents.tasks.prune_live_changes")
def prune_live_changes():
    """Beat, tidy-up only: forget the live pages' change log older than two days."""
    return live.prune()
