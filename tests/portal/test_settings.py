"""Settings come from the environment; bad values stop start-up with a message naming them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "db = settings.DATABASES['default']; "
    "print(json.dumps({'db': db['ENGINE'], 'name': str(db['NAME']),"
    " 'broker': settings.CELERY_BROKER_URL, 'opts': settings.CELERY_BROKER_TRANSPORT_OPTIONS,"
    " 'debug': settings.DEBUG, 'hosts': settings.ALLOWED_HOSTS, 'idle': settings.SESSION_COOKIE_AGE,"
    " 'acks_late': settings.CELERY_TASK_ACKS_LATE, 'reject': settings.CELERY_TASK_REJECT_ON_WORKER_LOST,"
    " 'accept': settings.CELERY_ACCEPT_CONTENT, 'email': settings.EMAIL_BACKEND}))"
)
CLEAN_KEYS = {"PATH", "HOME", "LANG", "SYSTEMROOT"}


def run(env, *args):
    base = {k: v for k, v in os.environ.items() if k in CLEAN_KEYS}
    base.update({"DJANGO_SETTINGS_MODULE": "portal.settings", "PORTAL_VAR_DIR": str(ROOT / "var" / "settings-probe")})
    base.update(env)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=120, check=False
    )


def probe(env):
    result = run(env, "-c", PROBE)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_defaults_need_no_services():
    values = probe({"DEBUG": "1"})
    assert values["db"] == "django.db.backends.sqlite3"
    assert values["name"].endswith("settings-probe/portal.sqlite3")
    assert values["broker"] == "filesystem://"
    assert values["opts"]["data_folder_in"].endswith("settings-probe/broker/queue")
    assert values["debug"] is True


def test_reliable_celery_defaults():
    values = probe({"DEBUG": "1"})
    assert values["acks_late"] and values["reject"]
    assert values["accept"] == ["json"]


def test_redis_broker_gets_a_visibility_timeout_longer_than_any_task():
    values = probe({"DEBUG": "1", "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0"})
    assert values["opts"]["visibility_timeout"] >= 2 * 300


def test_database_url_selects_postgresql():
    values = probe({"DEBUG": "1", "DATABASE_URL": "postgres://u:p@db.example:5432/portal"})
    assert values["db"] == "portal.postgresql"  # Django's backend, time stamps parsed by compiled code
    assert values["name"] == "portal"


def test_lists_and_numbers_are_parsed():
    values = probe(
        {
            "DEBUG": "0",
            "SECRET_KEY": "x" * 60,
            "EXCHANGE_HASH_KEY": "y" * 60,
            "ALLOWED_HOSTS": "portal.example,10.0.0.5",
            "SESSION_IDLE_TIMEOUT": "900",
            "EMAIL_URL": "smtp://mail.example:25",
        }
    )
    assert values["hosts"] == ["portal.example", "10.0.0.5"]
    assert values["idle"] == 900
    assert values["email"] == "django.core.mail.backends.smtp.EmailBackend"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "0"}, "SECRET_KEY must be set"),
        ({"DEBUG": "0", "SECRET_KEY": "x" * 60}, "EXCHANGE_HASH_KEY must be set"),
        ({"DEBUG": "perhaps"}, "DEBUG must be a boolean"),
        ({"DEBUG": "1", "SESSION_IDLE_TIMEOUT": "soon"}, "SESSION_IDLE_TIMEOUT"),
        ({"DEBUG": "1", "SESSION_IDLE_TIMEOUT": "5"}, "SESSION_IDLE_TIMEOUT must be at least 60"),
        ({"DEBUG": "1", "SECURE_SSL_REDIRECT": "maybe"}, "SECURE_SSL_REDIRECT must be a boolean"),
    ],
)
def test_bad_values_fail_with_the_variable_named(env, message):
    result = run(env, "-c", PROBE)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_deploy_check_is_clean_with_debug_off():
    result = run(
        {
            "DEBUG": "0",
            "SECRET_KEY": "k3y-" + "a1b2c3d4e5" * 6,
            "EXCHANGE_HASH_KEY": "h4sh-" + "f6e5d4c3b2" * 6,
            "ALLOWED_HOSTS": "portal.example",
        },
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_no_migrations_are_missing(db):
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.parametrize(("queue", "expected"), [(None, "celery"), ("alerts", "alerts")])
def test_webhook_deliveries_go_to_the_alerts_queue_and_everything_else_to_celerys(queue, expected):
    """What the Celery app itself routes, in a process started with the deployment's setting."""
    code = (
        "import json; from portal.celery import app; app.loader.import_default_modules(); "
        "route = lambda name: app.amqp.router.route({}, name)['queue'].name; "
        "print(json.dumps({name: route(name) for name in ("
        "'alerts.tasks.send_alert', 'alerts.tasks.deliver_alert', "
        "'alerts.tasks.sweep_alert_deliveries', 'portal.tasks.integrate_audit_log')}))"
    )
    result = run({"DEBUG": "1", **({"CELERY_ALERTS_QUEUE": queue} if queue else {})}, "-c", code)
    assert result.returncode == 0, result.stderr
    queues = json.loads(result.stdout.strip().splitlines()[-1])
    assert queues["alerts.tasks.send_alert"] == queues["alerts.tasks.deliver_alert"] == expected
    assert queues["alerts.tasks.sweep_alert_deliveries"] == queues["portal.tasks.integrate_audit_log"] == "celery"


def test_docker_compose_runs_a_worker_for_every_queue():
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    queue = services["web"]["environment"]["CELERY_ALERTS_QUEUE"]
    consumed = {}
    for name, service in services.items():
        command = service.get("command")
        if isinstance(command, list) and command[:4] == ["celery", "-A", "portal", "worker"]:
            for value in command[command.index("-Q") + 1].split(","):
                consumed.setdefault(value, []).append((name, command))
    assert set(consumed) == {"celery", queue}
    (_name, alerts_command), *_rest = consumed[queue]
    assert "--pool=threads" in alerts_command
    assert {"db", "redis", "web", "beat"} <= set(services)
