"""Incidents filed by border officers and the grants that share them with partner countries."""
