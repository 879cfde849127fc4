"""Settings, read from `HABITUS_*` environment variables and an optional `.env` file."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
import tempfile
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from habitus.kit.rates import Rate

# Values people paste from tutorials. A production server refuses to sign tokens with them.
PLACEHOLDER_SECRETS = frozenset(
    {
        "",
        "changeme",
        "change-me",
        "change_me",
        "changethis",
        "secret",
        "secret-key",
        "secret_key",
        "your-secret-key",
        "your_secret_key",
        "supersecret",
        "password",
        "habitus",
        "dev",
        "development",
        "test",
        "insecure",
        "xxx",
    }
)
MIN_PRODUCTION_SECRET_LENGTH = 32
SECRET_FILE_NAME = "secret_key"


# NoDecode: a rate is read as the text it is ("5/15minutes"); pydantic-settings would
# otherwise take a dataclass for JSON and refuse every value.
RateSetting = Annotated[Rate, NoDecode]


class SettingsError(ValueError):
    """The configuration cannot be used (a message fit for an operator)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HABITUS_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Literal["development", "production", "test"] = "development"
    database_url: str = "sqlite+aiosqlite:///./data/habitus.db"
    data_dir: Path = Path("./data")
    secret_key: str | None = None
    base_url: str = "http://127.0.0.1:8000"
    registration: Literal["open", "invite", "closed"] = "open"

    # Optional Redis: shared rate-limit counters (and later caches) across processes.
    redis_url: str | None = None
    redis_prefix: str = "habitus:"
    # Issue 22: how long a process keeps a verified sign-in (no SQL per request); a
    # revocation is still refused at once (auth/signin_cache.py). 0 turns it off.
    auth_cache_seconds: float = Field(default=30.0, ge=0)

    # Migrations at start-up (one-machine installs); multi-process deployments run
    # `habitus migrate` once and set this to false.
    auto_migrate: bool = True
    run_worker: bool = True
    # Issue 22, graceful shutdown: on SIGTERM a web process stops taking connections and
    # lets its in-flight requests finish, a worker lets its in-flight deliveries finish
    # and records them; whatever is still running after this many seconds is cut off
    # (a cut-off delivery is sent again once its lease runs out: at least once).
    shutdown_grace_seconds: float = Field(default=20.0, gt=0, le=600)

    # Tokens and sessions.
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    web_session_days: int = Field(default=30, ge=1, le=365)
    invite_days: int = Field(default=7, ge=1, le=365)
    # Issue 21: how long product events (docs/METRICS.md) are kept; housekeeping sweeps.
    product_events_days: int = Field(default=400, ge=1, le=3660)

    # Argon2id cost. The defaults follow RFC 9106's second recommended option;
    # tests lower them to stay fast.
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=1024)
    argon2_parallelism: int = Field(default=4, ge=1)

    # Rate limits, as "<count>/<period>" (period: second, minute, hour, day, or e.g. 15minutes).
    rate_limit_enabled: bool = True
    rate_limit_user: RateSetting = Rate.parse("600/minute")
    rate_limit_ip: RateSetting = Rate.parse("1200/minute")
    # Failed sign-ins (issue 11, item 9): on one account from one client address, and from
    # one client address on any account, are refused past these (429). On one account from
    # every address together they are never refused, only slowed down: past
    # `login_slowdown_after`, each answer for that account waits a little longer first, up to
    # `login_slowdown_max_seconds`, so nobody can lock the owner out.
    login_failures_per_account: RateSetting = Rate.parse("5/15minutes")
    login_failures_per_ip: RateSetting = Rate.parse("30/15minutes")
    login_slowdown_after: RateSetting = Rate.parse("10/15minutes")
    login_slowdown_max_seconds: float = Field(default=3.0, ge=0, le=30)
    registrations_per_ip: RateSetting = Rate.parse("20/hour")

    # Chat (issue 16): Fernet keys for message bodies at rest, comma-separated, newest
    # first (the newest encrypts, every one decrypts). Unset: one key is generated into
    # <data_dir>/chat.keys. `habitus rotate-chat-keys` re-encrypts with the newest.
    chat_keys: str | None = None
    # Messages one user may send in a short time (429 / an error frame past it).
    chat_rate: RateSetting = Rate.parse("20/10seconds")

    # Language and vision models (issue 17, kit/llm.py): any OpenAI-compatible Chat
    # Completions server (Ollama, vLLM, llama.cpp, OpenRouter, Groq ...). Unset base URL
    # or model: the offline coach answers. Retries cover 429 and 5xx (Retry-After is
    # honoured); the cap bounds calls in flight per process.
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_model: str | None = None
    llm_vision_model: str | None = None
    llm_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    llm_retries: int = Field(default=2, ge=0, le=10)
    llm_max_concurrency: int = Field(default=2, ge=1, le=64)
    # What one user may ask the coach (classify, plan, regenerate) in a while: 429 past it.
    coach_rate: RateSetting = Rate.parse("60/hour")
    # What one user may ask of the health analysis (issue 19; a model call when one is
    # configured, a read of 7..365 days of logs and habits either way): 429 past it.
    health_analysis_rate: RateSetting = Rate.parse("20/hour")
    # Photos of scale reports one user may send to be read (issue 19): OCR costs about a
    # second of CPU and a vision model money, so a per-user limit (429 past it).
    health_extraction_rate: RateSetting = Rate.parse("30/hour")

    # Idempotency keys are kept this long.
    idempotency_ttl_hours: int = Field(default=24, ge=24)
    # How long a statement waits for a lock (a retry waiting for its key's first
    # request, two writes to one habit) before giving up: 409 or 503.
    lock_timeout_seconds: float = Field(default=10.0, gt=0, le=600)

    # Heatmap and reports: windows longer than this read per-habit summaries; shorter
    # ones read raw entries (issue 5).
    summary_threshold_days: int = Field(default=60, ge=0, le=3660)

    # POST /import: the largest file accepted (bytes), checked while it arrives: 413.
    import_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    # Seconds an import may spend reading and checking its file (in a thread, before
    # anything is written); past it the file is refused with a 422 (docs/IMPORT.md).
    import_parse_seconds: float = Field(default=20.0, gt=0, le=3600)
    # Every other request body (JSON, forms): larger is a 413, counted while it arrives.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)

    # Reminders and notifications (issue 6). Email goes out through this SMTP server;
    # without `smtp_host` the email channel cannot be added.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "Habitus <habitus@localhost>"
    smtp_timeout_seconds: float = Field(default=20.0, gt=0, le=300)
    # Issue 20: an Apprise URL of an SMS gateway, with `{phone}` where the recipient's
    # number goes; sign-up codes (and phone users' reset codes) go out through it.
    sms_url: str | None = None
    # Sign-ups confirmed by a code sent to the address or phone before the account
    # exists. None: on when an email (SMTP) or SMS channel is configured.
    verify_signups: bool | None = None
    # Issue 20: sign-in with an OpenID Connect provider (Google, Authentik, Keycloak),
    # on when the issuer and the client id are set (auth/oidc.py, docs/OPERATIONS.md).
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_name: str = Field(default="single sign-on", min_length=1, max_length=40)
    oidc_scopes: str = "openid email profile"
    # Web Push: the VAPID key pair is generated at first start into the data directory.
    vapid_subject: str = "mailto:admin@localhost"
    push_ttl_hours: int = Field(default=12, ge=0, le=24 * 28)
    # Webhook and Apprise targets on private, loopback or link-local addresses are
    # refused (SSRF) unless this is on (a home server that notifies its own LAN).
    allow_private_targets: bool = False
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # The dispatcher: attempts per delivery before it is dead, the first retry's delay
    # (doubled each time, with jitter), parallel deliveries, the lease a claim holds.
    delivery_max_attempts: int = Field(default=5, ge=1, le=50)
    delivery_backoff_seconds: float = Field(default=30.0, ge=0, le=86400)
    delivery_concurrency: int = Field(default=32, ge=1, le=1000)
    delivery_lease_seconds: float = Field(default=120.0, gt=0, le=86400)
    worker_poll_seconds: float = Field(default=1.0, gt=0, le=60)

    # Backups (issue 22, backups/): where `habitus backup` and the worker write them
    # (unset: <data_dir>/backups); the worker backs up when the newest is older than the
    # interval (0: never) and keeps this many, deleting the oldest.
    backup_dir: Path | None = None
    backup_interval_hours: float = Field(default=0, ge=0, le=24 * 366)
    backup_keep: int = Field(default=7, ge=1, le=10_000)
    # Issue 22, firing ahead: reminders due within this many seconds are prepared early
    # (decided, written to the inbox and the ledger, dated at their instant); 0 turns
    # it off. The dispatcher claims deliveries due within `delivery_claim_ahead_seconds`
    # and waits for each one's instant (never sends early); at least the poll interval,
    # or a delivery claimed at the last poll before its instant is late by the rest.
    reminder_fire_ahead_seconds: float = Field(default=30.0, ge=0, le=300)
    delivery_claim_ahead_seconds: float = Field(default=2.0, ge=0, le=30)

    # Plans (issue 21, plans/): off, everything is free and nobody sees a plan. On
    # (HABITUS_PLANS=on), the free plan has these limits and an admin (or Stripe, below)
    # makes an account pro, which has none.
    plans: bool = False
    plan_free_active_habits: int = Field(default=5, ge=0, le=10_000)
    plan_free_challenges: bool = False
    # The free plan's analytics: windows up to this many days, the weekly report only.
    plan_free_analytics_days: int = Field(default=30, ge=7, le=3660)
    plan_free_exports: bool = False
    # Optional Stripe billing (plans/billing.py): all three set, a Checkout link and the
    # signed webhook that sets the plan; otherwise admins alone set plans.
    stripe_secret_key: str | None = None
    stripe_price_id: str | None = None
    stripe_webhook_secret: str | None = None
    # Where Stripe's API is (tests point it at a local fake; leave it unset).
    stripe_api_base: str | None = None

    # HTTP.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    forwarded_allow_ips: str = "127.0.0.1"
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"
    # Issue 22, tracing (kit/tracing.py): OpenTelemetry spans for requests, SQL, outgoing
    # HTTP and worker jobs, sent over OTLP/HTTP. Off by default. Endpoint unset: the
    # standard OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT, else
    # http://localhost:4318/v1/traces. The ratio is of new traces kept (0..1).
    otel_enabled: bool = False
    otel_endpoint: str | None = None
    otel_service_name: str = Field(default="habitus", min_length=1, max_length=100)
    otel_sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)
    # /metrics answers a request with `Authorization: Bearer <metrics_token>` (when set)
    # or from these networks; in production nobody else (404). Outside production it is
    # open unless a token is set.
    metrics_token: str | None = None
    metrics_networks: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["127.0.0.0/8", "::1/128"]
    )
    # Issue 22: `habitus worker` has no web server, yet its counts (deliveries sent, dead
    # letters, lateness) are what the alerts read. With a port set it serves them at
    # http://<host>:<port>/metrics, to be scraped like the web processes. No token there:
    # keep the port on a private network (compose.yaml publishes it nowhere).
    worker_metrics_port: int | None = Field(default=None, ge=1, le=65535)
    worker_metrics_host: str = "127.0.0.1"

    @field_validator("metrics_networks")
    @classmethod
    def _check_networks(cls, value: list[str]) -> list[str]:
        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError as error:
                raise ValueError(f"{network!r} is not a network such as 10.0.0.0/8") from error
        return value

    @field_validator("cors_origins", "metrics_networks", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        # Lists come from the environment comma-separated.
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("otel_endpoint")
    @classmethod
    def _blank_endpoint_is_unset(cls, value: str | None) -> str | None:
        # `HABITUS_OTEL_ENDPOINT=` (a copied .env template): fall back to the standard
        # OTEL_* variables rather than post to "".
        return value.strip() if value is not None and value.strip() else None

    @field_validator("secret_key")
    @classmethod
    def _blank_secret_is_unset(cls, value: str | None) -> str | None:
        # `HABITUS_SECRET_KEY=` (a copied .env template) must not sign with "": treat it
        # as unset, so a secret is generated and kept in the data directory.
        return value if value is None or value.strip() else None

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _check_secret(self) -> Settings:
        if self.environment == "production" and self.secret_key is not None:
            check_production_secret(self.secret_key)
        return self

    @field_validator("sms_url")
    @classmethod
    def _check_sms_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if "{phone}" not in value:
            raise ValueError("the SMS URL needs {phone} where the recipient's number goes")
        return value.strip()

    @property
    def signups_verified(self) -> bool:
        """Whether a sign-up waits for a code (`verify_signups`, else: a channel exists)."""
        if self.verify_signups is not None:
            return self.verify_signups
        return self.smtp_host is not None or self.sms_url is not None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def https(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def sign_in_cache_seconds(self) -> float:
        """How long this process may keep a verified sign-in. Unless the operator set
        HABITUS_AUTH_CACHE_SECONDS, PostgreSQL without Redis keeps none: several machines
        may share that database, and only Redis tells them all of a revocation at once."""
        chosen = "auth_cache_seconds" in self.model_fields_set
        shared_database = not self.database_url.startswith("sqlite")
        if not chosen and shared_database and not self.redis_url:
            return 0.0
        return self.auth_cache_seconds

    @property
    def billing_enabled(self) -> bool:
        """Stripe billing is on: plans are on and all three Stripe settings are set."""
        return self.plans and all(
            (self.stripe_secret_key, self.stripe_price_id, self.stripe_webhook_secret)
        )

    @cached_property
    def signing_key(self) -> str:
        """The secret that signs tokens: the configured one, or one generated once and
        kept in the data directory so restarts keep everyone signed in."""
        if self.secret_key is not None:
            return self.secret_key
        return load_or_create_secret(self.data_dir / SECRET_FILE_NAME)


def check_production_secret(secret: str) -> None:
    if secret.strip().lower() in PLACEHOLDER_SECRETS:
        raise SettingsError(
            "HABITUS_SECRET_KEY is a well-known placeholder; set a random value "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))') "
            "or unset it to have one generated in the data directory"
        )
    if len(secret) < MIN_PRODUCTION_SECRET_LENGTH:
        raise SettingsError(
            f"HABITUS_SECRET_KEY must be at least {MIN_PRODUCTION_SECRET_LENGTH} characters "
            "in production"
        )


def load_or_create_secret(path: Path) -> str:
    """Read the secret kept at `path`, creating it (mode 0600) on first use."""
    if path.exists():
        secret = path.read_text(encoding="utf-8").strip()
        if secret:
            return secret
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    # Written whole to a private temporary file (mkstemp: mode 0600 from the start), then
    # linked into place, which fails if the name exists: when two processes start at once
    # the second reads the first one's complete key, never a half-written or empty one.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(secret + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            existing = path.read_text(encoding="utf-8").strip()
            if existing:
                return existing
            os.replace(temporary, path)  # an empty file left by a crash: replace it
        except OSError:
            # A file system without hard links: move it into place (last one wins).
            os.replace(temporary, path)
            return path.read_text(encoding="utf-8").strip()
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    return secret
