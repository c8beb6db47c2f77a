"""Settings: one pydantic-settings class, env prefix HOTLINE_, .env support.

Every setting has a description; docs/settings.md is generated from them (`hotline settings --markdown`)
and a test keeps the two the same."""

from __future__ import annotations

import logging
from datetime import time
from functools import lru_cache
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

DEFAULT_SECRET = "dev-secret-change-me"  # noqa: S105 - a known placeholder, refused outside development
MIN_SECRET_LENGTH = 32


def _d(text: str, **kwargs: Any) -> Any:
    """A setting's default with its description (the one line docs/settings.md shows)."""
    return Field(description=text, **kwargs)


class Settings(BaseSettings):
    """Every setting of the platform; read from the environment (HOTLINE_*) and .env."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", env_file=".env", extra="ignore")

    # -- the platform
    environment: Literal["development", "test", "production"] = _d(
        "development, test or production; production refuses default secrets and needs the data keys "
        "and the metrics token",
        default="development",
    )
    database_url: str = _d(
        "SQLAlchemy URL of the database: SQLite (the embedded default) or "
        "postgresql+psycopg://user@host/db (production, and the job queue)",
        default="sqlite:///./hotline.db",
    )
    secret_key: str = _d(
        "signs console sessions; at least 32 random characters in production (the default is refused)",
        default=DEFAULT_SECRET,
    )
    timezone: str = _d(
        "the city's time zone: local days, working hours, monthly figures and times shown to people",
        default="Asia/Shanghai",
    )
    work_start: time = _d(
        "start of departments' working hours, local time; working-hour deadlines (sign-for) count only "
        "inside working hours of working days",
        default=time(8, 30),
    )
    work_end: time = _d("end of departments' working hours, local time", default=time(17, 30))
    default_language: Literal["zh", "en"] = _d(
        "language of messages and pages when the request does not ask for one (Accept-Language, the "
        "console's switch)",
        default="zh",
    )
    page_size_max: int = _d(
        "the largest page a list of tickets, queues or search results returns (its `limit`; read at start)",
        default=200,
        ge=1,
    )
    log_page_size_max: int = _d(
        "the largest page of a log returns: audit trails, delivery logs, drill-downs (read at start)",
        default=1000,
        ge=1,
    )
    max_body_bytes: int = _d("the largest request body accepted (413 above it)", default=1_000_000)
    max_upload_bytes: int = _d(
        "the largest uploaded file: knowledge-base files, ticket and call-record imports, training files",
        default=50_000_000,
    )
    texts: str | None = _d(
        "a YAML file of the centre's own messages, follow-up call script, acknowledgements and the large "
        "model's prompts; each entry replaces the packaged one (hotline/data/texts.yaml)",
        default=None,
    )

    # -- accounts and personal data
    contact_visible_roles: list[str] = _d(
        "roles that may see a citizen's full phone number (every showing is logged); everyone else sees "
        "it masked",
        default_factory=lambda: ["operator", "dispatcher", "admin"],
    )
    token_ttl_hours: int = _d("lifetime of API tokens and of console sessions at the most", default=12)
    session_idle_minutes: float = _d(
        "a console session ends after this long without a request", default=30.0, gt=0
    )
    login_max_failures: int = _d(
        "failed passwords in a row after which an account is locked", default=5, ge=1
    )
    login_lockout_minutes: float = _d("how long a locked account stays locked", default=15.0, gt=0)
    password_min_length: int = _d("the shortest password accepted", default=10, ge=8, le=128)
    data_keys: SecretStr | None = _d(
        "Fernet keys that encrypt citizens' phone and ID numbers at rest, comma-separated, newest first "
        "(`hotline keys generate`, `hotline keys rotate`); required in production, otherwise one key "
        "derived from the secret key",
        default=None,
    )
    blind_index_key: SecretStr | None = _d(
        "key of the blind index callers are looked up and counted by (default: the secret key)",
        default=None,
    )
    token_cache_seconds: float = _d(
        "API processes remember who a token is this long (0: ask the database every time); a revoked "
        "token or a deactivated user is refused by every process within this time",
        default=10.0,
        ge=0,
        le=300,
    )

    # -- the database
    db_connect_timeout_seconds: float = _d(
        "the database must accept a connection within this, or the request is refused with 503 and "
        "Retry-After",
        default=5.0,
        gt=0,
    )
    db_statement_timeout_seconds: float = _d(
        "the longest a statement may run before it is cancelled (503)", default=30.0, gt=0
    )
    db_pool_timeout_seconds: float = _d(
        "the longest a request waits for a free connection of the pool (503)", default=5.0, gt=0
    )

    # -- dispatch (智能派单)
    jieba_user_dict: str | None = _d(
        "the centre's own words for segmentation, one per line (jieba's format)", default=None
    )
    dispatch_lexicon: str | None = _d(
        "a YAML file that replaces the packaged request-type and urgency cues", default=None
    )
    dispatch_auto_threshold: float = _d(
        "a suggestion at or above this confidence (calibrated on whether the department was right) is "
        "dispatched without a person; below it, the triage queue. 0.95: 99% precise on the development "
        "set, held out (bench/dispatch_matters.py)",
        default=0.95,
        ge=0.0,
        le=1.0,
    )
    dispatch_on_intake: Literal["sync", "background"] = _d(
        "sync: screen and suggest (and auto-dispatch) inside the intake request; background: intake only "
        "stores the request and a job does the rest (a `hotline worker` on PostgreSQL, the scheduler on "
        "SQLite)",
        default="sync",
    )
    dispatch_auto_channels: list[str] = _d(
        "channels whose tickets may be auto-dispatched (on the phone an operator confirms in one click)",
        default_factory=lambda: ["web", "app", "sms", "open311", "email"],
    )

    # -- the large model (optional)
    llm_base_url: str | None = _d(
        "an OpenAI-compatible chat endpoint, e.g. https://api.deepseek.com/v1 or "
        "http://127.0.0.1:11434/v1; unset: no network call at all",
        default=None,
    )
    llm_model: str = _d("the model name sent to the endpoint", default="deepseek-chat")
    llm_api_key: SecretStr | None = _d("the endpoint's API key", default=None)
    llm_timeout_seconds: float = _d("the longest one call may take", default=20.0, gt=0)
    llm_max_retries: int = _d("retries of a failed call (timeouts, 429, 5xx)", default=2, ge=0, le=5)
    llm_retry_backoff_seconds: float = _d(
        "the first wait before a retry (doubled after each)", default=1.0, ge=0
    )
    llm_max_tokens: int = _d("the longest reply asked for", default=800, ge=16)
    llm_daily_token_budget: int = _d(
        "tokens all processes together may spend in a day; then the offline path serves",
        default=500_000,
        ge=0,
    )

    # -- notifications
    sms_gateway_url: str | None = _d(
        "the SMS gateway (HTTP, JSON {to, text, sign}); unset: SMS messages fail, never the workflow",
        default=None,
    )
    sms_gateway_token: SecretStr | None = _d("bearer token of the SMS gateway", default=None)
    sms_sign: str = _d("the signature (短信签名) sent with every SMS", default="12345热线")
    smtp_host: str | None = _d("the SMTP server for e-mail; unset: e-mail messages fail", default=None)
    smtp_port: int = _d("the SMTP server's port", default=25)
    smtp_starttls: bool = _d("upgrade the SMTP connection with STARTTLS", default=False)
    smtp_user: str | None = _d("SMTP user name, when the server asks for one", default=None)
    smtp_password: SecretStr | None = _d("SMTP password", default=None)
    smtp_from: str = _d("the sender address of e-mail", default="hotline@localhost")
    notify_timeout_seconds: float = _d("the longest one delivery (SMS, e-mail) may take", default=10.0)
    notify_max_attempts: int = _d("attempts before a message is given up", default=5)
    notify_retry_seconds: float = _d(
        "the first wait before a message is tried again (doubled after each)", default=60.0
    )
    claim_timeout_seconds: float = _d(
        "a message or delivery claimed by a worker that died is taken up again after this",
        default=300.0,
        gt=0,
    )

    # -- background work
    job_concurrency: int = _d("jobs each `hotline worker` runs at once (PostgreSQL)", default=4, ge=1, le=64)
    job_stalled_seconds: float = _d(
        "a worker silent this long is taken for dead and its jobs are run by another", default=30.0, gt=0
    )
    scheduler: Literal["inprocess", "off"] = _d(
        "inprocess: every API process runs the timed sweeps; off: a `hotline worker` runs them elsewhere",
        default="inprocess",
    )
    scheduler_interval_seconds: float = _d("time between two passes of the sweeps", default=60.0)

    # -- supervision (督办) and follow-up (回访)
    warn_before_sign_hours: float = _d(
        "warn a department this long before its sign-for deadline", default=1.0
    )
    warn_before_due_hours: float = _d(
        "warn a department this long before its handling deadline", default=24.0
    )
    escalate_after_overdue_days: int = _d(
        "working days overdue before the area centre (or the department above) is told", default=3
    )
    follow_up_delay_days: int = _d(
        "working days after the reply is approved that follow-up starts", default=1
    )
    follow_up_reopen: Literal["auto", "review"] = _d(
        "an unsatisfied answer with a reason within the department's power: reopen at once (auto) or "
        "after a dispatcher's review",
        default="review",
    )
    follow_up_lexicon: str | None = _d(
        "a YAML file that replaces the packaged follow-up answer cues (retrain the reader after)",
        default=None,
    )
    follow_up_auto_read: bool = _d(
        "read free-text follow-up answers by machine and count a confident reading at once; off: every "
        "free-text answer waits for a person to confirm its reading",
        default=True,
    )
    public_base_url: str = _d(
        "the address citizens reach the platform at (links in messages to them)",
        default="http://127.0.0.1:8000",
    )

    # -- screening (甄别)
    screening_lexicon: str | None = _d("a YAML file that replaces the packaged screening cues", default=None)
    screening_situations: str | None = _d(
        "a YAML file of the centre's own described situations, appended to the packaged ones",
        default=None,
    )
    screening_guard: str | None = _d(
        "a YAML file of the centre's own guard emergencies (never trained on), appended", default=None
    )
    screening_train_tickets: int = _d(
        "recent ordinary tickets learnt as negatives when the model is retrained", default=1000, ge=0
    )
    frequent_contacts_per_day: int = _d(
        "more contacts than this from one caller in 24 h is flagged", default=5
    )
    repeated_content_times: int = _d("the same request this many times in 30 days is flagged", default=3)
    repeated_similarity: float = _d(
        "cosine similarity from which two requests of a caller are the same by meaning",
        default=0.97,
        gt=0,
        le=1,
    )
    screening_thresholds: dict[str, float] = _d(
        'per kind, replaces the model\'s own threshold, e.g. {"threat": 0.6}', default_factory=dict
    )

    # -- the shared sentence embedding
    embedding_threads: int = _d("threads of the embedding model (0: every core)", default=0, ge=0)

    # -- analytics (数据富矿)
    analytics_dir: str = _d(
        "where the per-ticket facts are kept (Parquet, queried with DuckDB)", default="./var/analytics"
    )
    analytics_memory_limit: str = _d("DuckDB's memory limit per query connection", default="2GB")
    analytics_refresh_minutes: float = _d("the scheduler re-takes changed months this often", default=10.0)
    hotspot_mine_hours: float = _d("… and mines the current month's topics this often", default=24.0)
    satisfaction_weights: dict[str, float] = _d(
        "满意率 = weighted evaluations / evaluations: the weight of each answer",
        default_factory=lambda: {"satisfied": 1.0, "basically_satisfied": 1.0, "unsatisfied": 0.0},
    )
    ranking_weights: dict[str, float] = _d(
        "综合评价 of departments and areas: the weight of each rate in the composite score",
        default_factory=lambda: {"satisfaction": 0.4, "resolution": 0.3, "on_time": 0.2, "response": 0.1},
    )
    ranking_min_denominator: int = _d("a unit with fewer cases is listed but not ranked", default=10)
    duplicate_window_days: int = _d("duplicates (并单): earlier tickets within this many days", default=30)
    duplicate_threshold: float = _d(
        "similarity from which a merge is suggested (bench/hotspots.py)", default=0.22, gt=0, le=1
    )
    duplicate_hold_threshold: float = _d(
        "… and from which the ticket is kept from auto-dispatch", default=0.5, gt=0, le=1
    )
    hotspot_similarity: float = _d("similarity that joins a ticket to a topic", default=0.35, gt=0, le=1)
    hotspot_min_tickets: int = _d("the fewest tickets a hotspot has", default=3)
    heat_weights: dict[str, float] = _d(
        "the heat index: weight of tickets, people, supports and growth",
        default_factory=lambda: {"tickets": 1.0, "people": 1.0, "supports": 0.5, "growth": 1.0},
    )

    # -- what anyone may call without signing in, and the edge
    rate_limit_public: str = _d(
        "submitting, supporting, answering a survey: per client address, a moving window", default="30/minute"
    )
    rate_limit_track: str = _d("tracking look-ups (number + code) and supports", default="20/minute")
    rate_limit_open311: str = _d("Open311 reads without an API key", default="60/minute")
    rate_limit_login: str = _d("failed sign-ins (successful ones are not counted)", default="10/minute")
    rate_limit_storage: str = _d(
        "where the counts are kept: memory:// (one process) or redis://127.0.0.1:6379 (shared)",
        default="memory://",
    )
    trusted_proxies: list[str] = _d(
        "addresses or CIDR ranges of the reverse proxies in front of the API: only from these is "
        "X-Forwarded-For believed (the client is its right-most address not among them)",
        default_factory=list,
    )
    metrics_token: SecretStr | None = _d(
        "GET /metrics needs Authorization: Bearer <this>; required in production", default=None
    )

    # -- webhooks
    webhook_timeout_seconds: float = _d("the longest one delivery to a subscriber may take", default=10.0)
    webhook_max_attempts: int = _d("attempts before a delivery is given up", default=8)
    webhook_retry_seconds: float = _d(
        "the first wait before a delivery is tried again (doubled after each)", default=30.0
    )

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.environment == "production":
            if self.secret_key == DEFAULT_SECRET or len(self.secret_key) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"生产环境必须把 HOTLINE_SECRET_KEY 设为至少 {MIN_SECRET_LENGTH} 个字符的私密随机值"
                    f"（例如 python -c 'import secrets; print(secrets.token_urlsafe(48))' 的输出） / "
                    f"HOTLINE_SECRET_KEY must be a private random value of at least {MIN_SECRET_LENGTH} "
                    "characters in production"
                )
            if self.data_keys is None:
                raise ValueError(
                    "生产环境必须设置 HOTLINE_DATA_KEYS（市民电话、身份证号的加密密钥，hotline keys generate 生成）"
                    " / HOTLINE_DATA_KEYS (the keys citizens' phone and ID numbers are encrypted with; "
                    "`hotline keys generate`) must be set in production"
                )
            if self.metrics_token is None:
                raise ValueError(
                    "生产环境必须设置 HOTLINE_METRICS_TOKEN（/metrics 的访问令牌） / "
                    "HOTLINE_METRICS_TOKEN (the bearer token /metrics asks for) must be set in production"
                )
        if self.work_end <= self.work_start:
            raise ValueError("HOTLINE_WORK_END must be later than HOTLINE_WORK_START")
        return self


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, read once."""
    return Settings()


SECTIONS = {
    "environment": "The platform",
    "contact_visible_roles": "Accounts and personal data",
    "db_connect_timeout_seconds": "The database",
    "jieba_user_dict": "Dispatch (智能派单)",
    "llm_base_url": "The large model (optional)",
    "sms_gateway_url": "Notifications",
    "job_concurrency": "Background work",
    "warn_before_sign_hours": "Supervision (督办) and follow-up (回访)",
    "screening_lexicon": "Screening (甄别)",
    "embedding_threads": "The shared sentence embedding",
    "analytics_dir": "Analytics (数据富矿)",
    "rate_limit_public": "Public calls and the edge",
    "webhook_timeout_seconds": "Webhooks",
}


def settings_markdown() -> str:
    """docs/settings.md: every setting with its environment variable, default and description."""
    out = [
        "# Settings",
        "",
        "Environment variables (or lines of a `.env` file in the working directory). This page is generated "
        "from `src/hotline/config.py` by `hotline settings --markdown > docs/settings.md`; a test fails when "
        "the two differ.",
    ]
    for name, field in Settings.model_fields.items():
        if name in SECTIONS:
            out += ["", f"## {SECTIONS[name]}", "", "| variable | default | what it does |", "|---|---|---|"]
        default = field.default_factory() if field.default_factory is not None else field.default  # type: ignore[call-arg]
        shown = "—" if default is None or isinstance(default, SecretStr) else f"`{_plain(default)}`"
        text = (field.description or "").replace("|", "\\|")
        out.append(f"| `HOTLINE_{name.upper()}` | {shown} | {text} |")
    return "\n".join(out) + "\n"


def _plain(value: Any) -> str:
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, list | dict):
        import json

        return json.dumps(value, ensure_ascii=False)
    return str(value)
