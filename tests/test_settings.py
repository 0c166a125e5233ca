"""Settings come from the environment in one place, with safe development defaults."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": "x" * 64 + "-a-long-random-production-secret-key",
    "DJANGO_ALLOWED_HOSTS": "zhibo.example.com",
    "DATABASE_URL": "sqlite:////tmp/zhibo-deploy-check.sqlite3",
}


def run_python(*args, env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    base.pop("REDIS_URL", None)
    base.pop("RECOMMENDER_ARTEFACTS_ROOT", None)
    base["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def run_manage(*args, env):
    return run_python("manage.py", *args, env=env)


def settings_value(expression, env):
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    return run_python("-c", code, env=env)


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SECRET_KEY"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_settings_pass_the_deployment_checklist_without_warnings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_no_environment_means_sqlite_local_memory_cache_and_debug():
    result = settings_value(
        "settings.DATABASES['default']['ENGINE'], settings.CACHES['default']['BACKEND'],"
        " settings.DEBUG, settings.CELERY_BROKER_URL",
        env={},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "django.core.cache.backends.locmem.LocMemCache",
        "True",
        "filesystem://localhost/",
    ]


def test_database_and_redis_urls_select_postgresql_and_redis():
    result = settings_value(
        "settings.DATABASES['default']['ENGINE'], settings.CACHES['default']['BACKEND'],"
        " settings.CELERY_BROKER_URL",
        env={
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
            "REDIS_URL": "redis://127.0.0.1:6379/3",
        },
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "config.redis_cache.RedisCache",
        "redis://127.0.0.1:6379/3",
    ]


def test_the_redis_cache_shares_one_client_between_commands_and_threads(redis_url):
    from concurrent.futures import ThreadPoolExecutor

    from config.redis_cache import RedisCache

    cache = RedisCache(redis_url, {"KEY_PREFIX": "client-test"})
    assert cache._cache.get_client() is cache._cache.get_client(write=True)

    def roundtrip(n):
        cache.set(f"k{n}", {"n": n}, 30)
        return cache.get(f"k{n}")

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(roundtrip, range(200))) == [{"n": n} for n in range(200)]
    cache.delete_many([f"k{n}" for n in range(200)])


def test_postgresql_is_reached_through_psycopg_3():
    import psycopg
    from django.db import connections

    if connections["default"].vendor == "postgresql":
        assert connections["default"].Database is psycopg


def test_postgresql_plans_repeated_statements_once_unless_turned_off():
    url = {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres"}
    options = settings_value('sorted(settings.DATABASES["default"]["OPTIONS"].items())', env=url)
    assert "('prepare_threshold', 5), ('server_side_binding', True)" in options.stdout
    off = settings_value(
        'settings.DATABASES["default"]["OPTIONS"].get("prepare_threshold")',
        env={**url, "DATABASE_PREPARED_STATEMENTS": "false"},
    )
    assert off.stdout.strip() == "None"


def test_postgresql_connections_come_from_a_pool_per_process_unless_turned_off():
    url = {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres"}
    db = 'settings.DATABASES["default"]'
    code = f'{db}.get("OPTIONS", {{}}).get("pool"), {db}["CONN_MAX_AGE"]'
    pooled = settings_value(code, env=url)
    assert pooled.stdout.strip() == "{'min_size': 2, 'max_size': 10, 'timeout': 10.0} 0"
    off = settings_value(code, env={**url, "DATABASE_POOL": "false"})
    assert off.stdout.strip() == "None 60"
    sqlite = settings_value(code, env={"DATABASE_URL": "sqlite:///:memory:"})
    assert sqlite.stdout.strip() == "None 60"


def test_model_artefacts_have_a_storage_of_their_own_outside_the_served_folders():
    for env in ({}, PRODUCTION_ENV):
        result = settings_value(
            "settings.STORAGES['artefacts']['OPTIONS']['location'], settings.MEDIA_ROOT", env=env
        )
        assert result.returncode == 0, result.stderr
        artefacts, media = map(Path, result.stdout.split())
        assert artefacts == ROOT / "var" / "artefacts"
        assert not artefacts.is_relative_to(media)
    moved = settings_value(
        "settings.STORAGES['artefacts']['OPTIONS']['location']",
        env={"RECOMMENDER_ARTEFACTS_ROOT": "/srv/zhibo/artefacts"},
    )
    assert moved.stdout.strip() == "/srv/zhibo/artefacts"


def test_an_artefacts_folder_that_would_be_served_is_refused():
    for inside in ("/srv/zhibo/media/artefacts", str(ROOT / "static" / "artefacts")):
        result = run_manage(
            "check",
            env={"DJANGO_MEDIA_ROOT": "/srv/zhibo/media", "RECOMMENDER_ARTEFACTS_ROOT": inside},
        )
        assert result.returncode != 0
        assert "RECOMMENDER_ARTEFACTS_ROOT" in result.stderr and "served" in result.stderr
