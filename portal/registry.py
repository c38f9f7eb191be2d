"""What the apps add to the shared core: dashboard panels, API routes and health checks.

The core (`portal`) does not import the apps built on it. Each app registers what it adds from
its `AppConfig.ready()`, and the core's dashboard and API URLs read the registry.
"""

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from django.urls import include, path
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class DashboardPanel:
    """A card on the dashboard: `context(user)` gives what its template shows, or None to leave
    it out. Every figure in it is a read, so it goes through the app's gated selectors."""

    name: str
    template: str
    context: Callable
    order: int = 100


@dataclass(frozen=True)
class APIRoutes:
    """URL patterns an app serves under `/api/v1/<prefix>`."""

    prefix: str
    patterns: str  # the dotted path of a URLconf module, or of a list of patterns in one


_panels: dict[str, DashboardPanel] = {}
_api_routes: dict[str, APIRoutes] = {}
_health_checks: dict[str, Callable[[], dict]] = {}


def add_dashboard_panel(panel):
    _panels[panel.name] = panel  # by name: registering twice (tests, reloads) replaces


def dashboard_panels():
    return sorted(_panels.values(), key=lambda panel: (panel.order, panel.name))


def add_api_routes(prefix, patterns):
    _api_routes[prefix] = APIRoutes(prefix, patterns)


def _patterns(dotted):
    try:
        return import_module(dotted)
    except ModuleNotFoundError:
        return import_string(dotted)


def api_urlpatterns():
    """Read when the URLconf is first loaded (after every app's `ready()`)."""
    return [path(routes.prefix, include(_patterns(routes.patterns))) for routes in _api_routes.values()]


def add_health_check(name, check):
    """`check()` returns a dict with at least `ok`; /healthz shows it under `name`, and a check
    that is not ok makes the portal "degraded"."""
    _health_checks[name] = check


def health_checks():
    return dict(sorted(_health_checks.items()))
