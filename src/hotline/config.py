"""Settings: one pydantic-settings class, env prefix HOTLINE_, .env support."""

from __future__ import annotations

import logging
from datetime import time
from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

DEFAULT_SECRET = "dev-secret-change-me"  # noqa: S105 - a known placeholder, refused outside development
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    """Every setting of the platform; read from the environment (HOTLINE_*) and .env."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///./hotline.db"
    secret_key: str = DEFAULT_SECRET
    timezone: str = "Asia/Shanghai"
    # working hours of departments, local time; working-hour deadlines (sign-for) count only inside them
    work_start: time = time(8, 30)
    work_end: time = time(17, 30)
    # roles that may see a citizen's full phone number; everyone else sees it masked
    contact_visible_roles: list[str] = Field(default_factory=lambda: ["operator", "dispatcher", "admin"])
    token_ttl_hours: int = 12
    # a console session ends after this long without a request (and at token_ttl_hours at the latest)
    session_idle_minutes: float = Field(default=30.0, gt=0)
    # sign-in: after this many failed passwords in a row an account is locked for login_lockout_minutes
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_minutes: float = Field(default=15.0, gt=0)
    password_min_length: int = Field(default=10, ge=8, le=128)
    # personal data at rest: Fernet keys, comma-separated, newest first (hotline keys generate / rotate);
    # unset outside production: one key derived from secret_key
    data_keys: SecretStr | None = None
    # key of the blind index citizens' phones are looked up by (default: secret_key)
    blind_index_key: SecretStr | None = None
    # API processes remember who a token is this long (0: ask the database on every request); a revoked
    # token or a deactivated user is refused by every process within this time
    token_cache_seconds: float = Field(default=10.0, ge=0, le=300)
    max_body_bytes: int = 1_000_000
    # file uploads (knowledge-base files, ticket and call-record imports, model training files)
    max_upload_bytes: int = 50_000_000
    # the database must answer within these, or the request is refused with 503 and Retry-After
    db_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    db_statement_timeout_seconds: float = Field(default=30.0, gt=0)
    db_pool_timeout_seconds: float = Field(default=5.0, gt=0)
    page_size_max: int = 200
    default_language: Literal["zh", "en"] = "zh"
    texts: str | None = None  # the centre's own messages, call script and prompts (hotline.texts)

    # dispatch (智能派单)
    jieba_user_dict: str | None = None  # the centre's own words, one per line (jieba format)
    dispatch_lexicon: str | None = None  # replaces the packaged request-type/urgency cues
    # a suggestion at or above this confidence is dispatched without a person; below → triage queue
    dispatch_auto_threshold: float = Field(default=0.9, ge=0.0, le=1.0)
    # "sync": screen and suggest (and auto-dispatch) inside the intake request; "background": a job
    # does it right after (a `hotline worker` on PostgreSQL; the scheduler's sweep on SQLite) — intake
    # then only stores the request (see bench/intake.py)
    dispatch_on_intake: Literal["sync", "background"] = "sync"
    # channels whose tickets may be auto-dispatched (an operator on the phone confirms in one click)
    dispatch_auto_channels: list[str] = Field(
        default_factory=lambda: ["web", "app", "sms", "open311", "email"]
    )

    # large-model tier (optional): any OpenAI-compatible chat endpoint; unset → no network call at all
    llm_base_url: str | None = None  # e.g. https://api.deepseek.com/v1 or http://127.0.0.1:11434/v1
    llm_model: str = "deepseek-chat"
    llm_api_key: SecretStr | None = None
    llm_timeout_seconds: float = Field(default=20.0, gt=0)
    llm_max_retries: int = Field(default=2, ge=0, le=5)
    llm_retry_backoff_seconds: float = Field(default=1.0, ge=0)
    llm_max_tokens: int = Field(default=800, ge=16)  # per reply
    llm_daily_token_budget: int = Field(default=500_000, ge=0)  # all processes together

    # notifications (an SMS gateway over HTTP, SMTP); unset channels fail their messages, never the workflow
    sms_gateway_url: str | None = None
    sms_gateway_token: SecretStr | None = None
    sms_sign: str = "12345热线"
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "hotline@localhost"
    notify_timeout_seconds: float = 10.0
    notify_max_attempts: int = 5
    notify_retry_seconds: float = 60.0
    # a message or delivery claimed by a worker that died is taken up again after this
    claim_timeout_seconds: float = Field(default=300.0, gt=0)

    # the job queue (PostgreSQL): jobs each `hotline worker` runs at once; a worker silent this long
    # is taken for dead and its jobs are run by another
    job_concurrency: int = Field(default=4, ge=1, le=64)
    job_stalled_seconds: float = Field(default=30.0, gt=0)

    # supervision (督办) and follow-up (回访)
    scheduler: Literal["inprocess", "off"] = "inprocess"  # "off" when `hotline worker` runs elsewhere
    scheduler_interval_seconds: float = 60.0
    warn_before_sign_hours: float = 1.0  # warn a department this long before its sign-for deadline
    warn_before_due_hours: float = 24.0  # … and before its handling deadline
    escalate_after_overdue_days: int = 3  # working days overdue before the area centre is told
    follow_up_delay_days: int = 1  # working days after the reply is approved
    follow_up_reopen: Literal["auto", "review"] = (
        "review"  # 不满意 with a reason within the department's power
    )
    public_base_url: str = "http://127.0.0.1:8000"  # for links in messages to citizens

    # screening (甄别)
    screening_lexicon: str | None = None  # replaces the packaged cues
    screening_situations: str | None = None  # the centre's own described situations (appended)
    screening_guard: str | None = None  # the centre's own guard emergencies (appended; never trained on)
    screening_train_tickets: int = Field(default=1000, ge=0)  # recent ordinary tickets learnt as negatives
    frequent_contacts_per_day: int = 5  # more contacts than this from one caller in 24 h is flagged
    repeated_content_times: int = 3  # the same request this many times in 30 days is flagged
    repeated_similarity: float = Field(default=0.97, gt=0, le=1)  # "the same" by meaning (cosine)
    screening_thresholds: dict[str, float] = {}  # per kind, overrides the model's own (e.g. {"threat": 0.6})

    # the shared sentence embedding (hotline.nlp.embedding)
    embedding_threads: int = Field(default=0, ge=0)  # OpenMP threads; 0 = every core

    # analytics (数据富矿): a snapshot of per-ticket facts as Parquet, queried with DuckDB
    analytics_dir: str = "./var/analytics"
    analytics_memory_limit: str = "2GB"  # DuckDB's limit per query connection
    analytics_refresh_minutes: float = 10.0  # the scheduler re-takes changed months this often
    hotspot_mine_hours: float = 24.0  # … and mines the current month's topics this often
    # 满意率 = weighted evaluations / evaluations; the weight of each answer
    satisfaction_weights: dict[str, float] = Field(
        default_factory=lambda: {"satisfied": 1.0, "basically_satisfied": 1.0, "unsatisfied": 0.0}
    )
    # 综合评价 of departments and areas: weight of each rate in the composite score
    ranking_weights: dict[str, float] = Field(
        default_factory=lambda: {"satisfaction": 0.4, "resolution": 0.3, "on_time": 0.2, "response": 0.1}
    )
    ranking_min_denominator: int = 10  # a unit with fewer cases is listed but not ranked
    # duplicates (并单): earlier tickets within this window, at the same place, this similar
    duplicate_window_days: int = 30
    duplicate_threshold: float = Field(default=0.22, gt=0, le=1)  # suggest a merge (bench/hotspots.py)
    duplicate_hold_threshold: float = Field(default=0.5, gt=0, le=1)  # … and keep it from auto-dispatch
    # hotspots (诉求热点): topic mining and the heat index
    hotspot_similarity: float = Field(default=0.35, gt=0, le=1)
    hotspot_min_tickets: int = 3
    heat_weights: dict[str, float] = Field(
        default_factory=lambda: {"tickets": 1.0, "people": 1.0, "supports": 0.5, "growth": 1.0}
    )

    # rate limits of what anyone may call without signing in (per client address, a moving window)
    rate_limit_public: str = "30/minute"  # submitting, supporting, answering a survey
    rate_limit_track: str = "20/minute"  # tracking look-ups (number + code) and supports
    rate_limit_open311: str = "60/minute"  # Open311 reads
    rate_limit_login: str = "10/minute"  # failed sign-in attempts (successful ones are not counted)
    rate_limit_storage: str = "memory://"  # redis://127.0.0.1:6379 to share the count between processes
    # addresses (or CIDR ranges) of the reverse proxies in front of the API: only from these is
    # X-Forwarded-For believed, and the client is its right-most address that is not one of them
    trusted_proxies: list[str] = Field(default_factory=list)
    # GET /metrics needs "Authorization: Bearer <metrics_token>"; required in production
    metrics_token: SecretStr | None = None

    # webhooks
    webhook_timeout_seconds: float = 10.0
    webhook_max_attempts: int = 8
    webhook_retry_seconds: float = 30.0

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
