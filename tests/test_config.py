"""Settings: HABITUS_* variables, .env, the generated secret, refusals."""

from __future__ import annotations

import os
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pydantic import ValidationError

from habitus.config import (
    MIN_PRODUCTION_SECRET_LENGTH,
    SECRET_FILE_NAME,
    Settings,
    load_or_create_secret,
)
from habitus.kit.rates import Rate

GOOD_SECRET = "k3J9-a-long-random-looking-production-secret-0123456789"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No HABITUS_* variable from the outside world, and a working directory of our own."""
    for name in list(os.environ):
        if name.startswith("HABITUS_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults(tmp_path: Path):
    """config.py: a laptop install works with no settings at all."""
    settings = Settings()
    assert settings.environment == "development"
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.registration == "open"
    assert settings.cors_origins == []
    assert settings.redis_url is None
    assert settings.rate_limit_user == Rate(600, 60.0)


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """config.py: settings come from HABITUS_* environment variables."""
    monkeypatch.setenv("HABITUS_DATABASE_URL", "postgresql+asyncpg://u@db/habitus")
    monkeypatch.setenv("HABITUS_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("HABITUS_REGISTRATION", "invite")
    monkeypatch.setenv("HABITUS_REDIS_URL", "redis://cache:6379/0")
    monkeypatch.setenv("HABITUS_AUTO_MIGRATE", "false")
    monkeypatch.setenv("HABITUS_ACCESS_TOKEN_MINUTES", "10")
    monkeypatch.setenv("HABITUS_BASE_URL", "https://habits.example/")
    settings = Settings()
    assert settings.database_url == "postgresql+asyncpg://u@db/habitus"
    assert settings.data_dir == tmp_path / "elsewhere"
    assert settings.registration == "invite"
    assert settings.redis_url == "redis://cache:6379/0"
    assert settings.auto_migrate is False
    assert settings.access_token_minutes == 10
    assert settings.base_url == "https://habits.example"  # no trailing slash
    assert settings.https
    assert not settings.is_sqlite


def test_dotenv_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """config.py: a .env file in the working directory is read; the environment wins."""
    (tmp_path / ".env").write_text(
        "# comments are fine\n"
        "HABITUS_REGISTRATION=closed\n"
        "HABITUS_LOG_LEVEL=DEBUG\n"
        'HABITUS_CORS_ORIGINS="https://a.example,https://b.example"\n'
        "UNRELATED=1\n",
        encoding="utf-8",
    )
    settings = Settings()
    assert settings.registration == "closed"
    assert settings.log_level == "DEBUG"
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    monkeypatch.setenv("HABITUS_REGISTRATION", "invite")
    assert Settings().registration == "invite"


def test_secret_is_generated_once_and_kept(tmp_path: Path):
    """config.py: without HABITUS_SECRET_KEY a secret is made once, mode 0600, and reused."""
    data_dir = tmp_path / "data"
    first = Settings(data_dir=data_dir)
    key = first.signing_key
    path = data_dir / SECRET_FILE_NAME
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) >= MIN_PRODUCTION_SECRET_LENGTH
    assert path.read_text(encoding="utf-8").strip() == key
    # A second process (a restart) reads the same one: everyone stays signed in.
    assert Settings(data_dir=data_dir).signing_key == key
    # And it is good enough for production.
    assert Settings(data_dir=data_dir, environment="production").signing_key == key


def test_generated_secrets_differ_between_installs(tmp_path: Path):
    """config.py: each data directory gets its own random secret."""
    one = Settings(data_dir=tmp_path / "one").signing_key
    two = Settings(data_dir=tmp_path / "two").signing_key
    assert one != two


def test_configured_secret_wins_and_writes_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """config.py: HABITUS_SECRET_KEY, when set, is the key; no file is written."""
    monkeypatch.setenv("HABITUS_SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("HABITUS_DATA_DIR", str(tmp_path / "data"))
    settings = Settings()
    assert settings.signing_key == GOOD_SECRET
    assert not (tmp_path / "data" / SECRET_FILE_NAME).exists()


def test_processes_starting_together_share_one_secret(tmp_path: Path):
    """config.py: when several workers start at once, all of them sign with the same key."""
    path = tmp_path / "data" / SECRET_FILE_NAME
    barrier = threading.Barrier(8)

    def start() -> str:
        barrier.wait()
        return load_or_create_secret(path)

    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = list(pool.map(lambda _: start(), range(8)))
    assert len(set(keys)) == 1
    assert keys[0]
    assert path.read_text(encoding="utf-8").strip() == keys[0]
    assert sorted(p.name for p in path.parent.iterdir()) == [SECRET_FILE_NAME]  # no leftovers


def test_an_empty_secret_file_is_replaced(tmp_path: Path):
    """config.py: an empty secret file (a crash mid-write) never yields an empty signing key."""
    path = tmp_path / "data" / SECRET_FILE_NAME
    path.parent.mkdir()
    path.write_text("", encoding="utf-8")
    secret = load_or_create_secret(path)
    assert len(secret) >= MIN_PRODUCTION_SECRET_LENGTH
    assert path.read_text(encoding="utf-8").strip() == secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_secret(path) == secret


def test_an_empty_secret_setting_counts_as_unset(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """config.py: `HABITUS_SECRET_KEY=` (as in a copied .env template) never signs with ""."""
    monkeypatch.setenv("HABITUS_SECRET_KEY", "")
    settings = Settings(data_dir=tmp_path / "data")
    assert settings.signing_key
    assert len(settings.signing_key) >= MIN_PRODUCTION_SECRET_LENGTH


@pytest.mark.parametrize("placeholder", ["changeme", "ChangeMe", " secret ", "your-secret-key"])
def test_placeholder_secret_is_refused_in_production(placeholder: str):
    """config.py: a well-known placeholder secret is refused in production, with the fix."""
    with pytest.raises(ValidationError) as caught:
        Settings(environment="production", secret_key=placeholder)
    message = str(caught.value)
    assert "HABITUS_SECRET_KEY" in message
    assert "placeholder" in message
    assert "secrets.token_urlsafe" in message  # says how to make a good one


def test_placeholder_from_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch):
    """config.py: the same refusal when the placeholder comes from HABITUS_* variables."""
    monkeypatch.setenv("HABITUS_ENVIRONMENT", "production")
    monkeypatch.setenv("HABITUS_SECRET_KEY", "changeme")
    with pytest.raises(ValidationError, match="placeholder"):
        Settings()


def test_short_secret_is_refused_in_production():
    """config.py: a production secret shorter than 32 characters is refused."""
    short = "x7Gq" * 7  # 28 characters, random-looking
    with pytest.raises(ValidationError) as caught:
        Settings(environment="production", secret_key=short)
    assert f"at least {MIN_PRODUCTION_SECRET_LENGTH} characters" in str(caught.value)
    Settings(environment="production", secret_key="x7Gq" * 8)  # 32 is enough


@pytest.mark.parametrize("environment", ["development", "test"])
@pytest.mark.parametrize("secret", ["changeme", "dev", "short"])
def test_weak_secrets_are_allowed_outside_production(environment: str, secret: str):
    """config.py: placeholders and short keys are fine for development and tests."""
    settings = Settings(environment=environment, secret_key=secret)
    assert settings.signing_key == secret


def test_unknown_environment_is_refused():
    """config.py: environment is development, production or test."""
    with pytest.raises(ValidationError, match="environment"):
        Settings(environment="staging")


def test_unknown_registration_mode_is_refused(monkeypatch: pytest.MonkeyPatch):
    """config.py: HABITUS_REGISTRATION is open, invite or closed; anything else is refused."""
    monkeypatch.setenv("HABITUS_REGISTRATION", "sometimes")
    with pytest.raises(ValidationError) as caught:
        Settings()
    message = str(caught.value)
    assert "registration" in message
    assert "'open', 'invite' or 'closed'" in message


@pytest.mark.parametrize(
    ("raw", "origins"),
    [
        ("https://a.example, https://b.example", ["https://a.example", "https://b.example"]),
        ("https://a.example", ["https://a.example"]),
        (" https://a.example ,, ", ["https://a.example"]),
        ("", []),
    ],
)
def test_cors_origins_parse_from_a_comma_list(
    monkeypatch: pytest.MonkeyPatch, raw: str, origins: list[str]
):
    """config.py: HABITUS_CORS_ORIGINS is a comma-separated list of origins."""
    monkeypatch.setenv("HABITUS_CORS_ORIGINS", raw)
    assert Settings().cors_origins == origins


def test_rates_parse_from_environment_strings(monkeypatch: pytest.MonkeyPatch):
    """config.py: rate limits are written "<count>/<period>" in the environment."""
    monkeypatch.setenv("HABITUS_RATE_LIMIT_USER", "10/minute")
    monkeypatch.setenv("HABITUS_RATE_LIMIT_IP", "1/second")
    monkeypatch.setenv("HABITUS_LOGIN_FAILURES_PER_ACCOUNT", "5/15minutes")
    monkeypatch.setenv("HABITUS_REGISTRATIONS_PER_IP", "3/day")
    settings = Settings()
    assert settings.rate_limit_user == Rate(10, 60.0)
    assert settings.rate_limit_ip == Rate(1, 1.0)
    assert settings.login_failures_per_account == Rate(5, 900.0)
    assert settings.registrations_per_ip == Rate(3, 86400.0)


@pytest.mark.parametrize("raw", ["abc", "0/minute", "5/fortnight"])
def test_a_bad_rate_in_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch, raw: str):
    """config.py: a malformed rate is refused at start-up, naming the setting."""
    monkeypatch.setenv("HABITUS_RATE_LIMIT_USER", raw)
    with pytest.raises(ValidationError) as caught:
        Settings()
    message = str(caught.value)
    assert "rate_limit_user" in message
    assert repr(raw) in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HABITUS_ACCESS_TOKEN_MINUTES", "0"),
        ("HABITUS_IDEMPOTENCY_TTL_HOURS", "1"),  # API.md: keys are kept at least 24 hours
        ("HABITUS_LOCK_TIMEOUT_SECONDS", "0"),
        ("HABITUS_AUTO_MIGRATE", "perhaps"),
        ("HABITUS_LOG_FORMAT", "xml"),
    ],
)
def test_out_of_range_values_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str):
    """config.py: settings outside their range are refused at start-up, naming the setting."""
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert name.removeprefix("HABITUS_").lower() in str(caught.value)


def test_sign_in_cache_is_off_on_a_shared_database_without_redis():
    """Issue 22 (auth/signin_cache.py): a sign-in may be kept per process only where a
    revocation reaches every process at once: one SQLite machine, or any database with
    Redis. PostgreSQL without Redis (maybe several machines) keeps none, unless the
    operator chose a lifetime."""
    pg = "postgresql+asyncpg://habitus@db/habitus"
    assert Settings().sign_in_cache_seconds == 30.0  # SQLite: one machine
    assert Settings(database_url=pg).sign_in_cache_seconds == 0.0
    assert Settings(database_url=pg, redis_url="redis://r:6379/0").sign_in_cache_seconds == 30.0
    assert Settings(database_url=pg, auth_cache_seconds=10).sign_in_cache_seconds == 10.0
