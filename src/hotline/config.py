"""Settings: one pydantic-settings class, env prefix HOTLINE_, .env support."""

from __future__ import annotations

import logging
from datetime import time
from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

DEFAULT_SECRET = "dev-secret-change-me"  # noqa: S105 - a known placeholder, refused outside development


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
    max_body_bytes: int = 1_000_000
    page_size_max: int = 200
    default_language: Literal["zh", "en"] = "zh"

    # dispatch (智能派单)
    jieba_user_dict: str | None = None  # the centre's own words, one per line (jieba format)
    dispatch_lexicon: str | None = None  # replaces the packaged request-type/urgency cues
    # a suggestion at or above this confidence is dispatched without a person; below → triage queue
    dispatch_auto_threshold: float = Field(default=0.9, ge=0.0, le=1.0)
    # channels whose tickets may be auto-dispatched (an operator on the phone confirms in one click)
    dispatch_auto_channels: list[str] = Field(
        default_factory=lambda: ["web", "app", "sms", "open311", "email"]
    )

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEFAULT_SECRET:
            raise ValueError(
                "HOTLINE_SECRET_KEY must be set to a private value in production "
                "(生产环境必须设置 HOTLINE_SECRET_KEY)"
            )
        if self.work_end <= self.work_start:
            raise ValueError("HOTLINE_WORK_END must be later than HOTLINE_WORK_START")
        return self


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, read once."""
    return Settings()
