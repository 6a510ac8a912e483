"""What a connector needs besides credentials: one typed, validated model. Each connector module
declares its defaults (`NETWORK.defaults`); `config/networks.yml` holds only overrides."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator


class NetworkSettings(BaseModel):
    """Every field is checked when the settings are built: a typo or a wrong type in
    config/networks.yml is an error naming the field, never a silent default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    network: str
    connection_id: str = Field(min_length=1)
    api_version: str = ""
    timezone: str = "UTC"
    lookback_days: int = Field(3, ge=1, description="account daily metrics re-read every run")
    post_lookback_days: int = Field(28, ge=1, description="posts re-snapshotted every run")
    pool_slots: int = Field(2, ge=1, description="accounts of this network loading at once")
    accounts_per_task: int | None = Field(
        None,
        ge=1,
        description="accounts one Airflow task loads (a batch); empty = automatic: the "
        "network's accounts spread over at most 24 tasks",
    )
    page_size: int = Field(25, ge=1)
    max_retries: int = Field(5, ge=0)
    backoff_seconds: float = Field(2.0, ge=0)
    max_wait_seconds: float = Field(900.0, ge=0)
    timeout_seconds: float = Field(60.0, gt=0)
    freshness_sla_hours: int = Field(36, ge=1)
    schedule: str = "0 12 * * *"
    data_lag_days: int = Field(0, ge=0)
    shrink_threshold: float = Field(
        0.5,
        gt=0,
        le=1,
        description="a load with fewer than this share of the previous load's records still in "
        "the window is refused (the shrink guard)",
    )
    extra: dict[str, Any] = Field(default_factory=dict)

    @field_validator("api_version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        # YAML reads an unquoted 202609 or 2 as a number; the API wants the characters
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name, e.g. UTC)") from None
        return value

    @field_validator("schedule")
    @classmethod
    def _five_field_cron(cls, value: str) -> str:
        if len(value.split()) != 5:
            raise ValueError(f"expected a five-field cron expression, got {value!r}")
        return value

    def with_overrides(self, **overrides: Any) -> NetworkSettings:
        """A validated copy with some fields changed."""
        return NetworkSettings.model_validate({**self.model_dump(), **overrides})
