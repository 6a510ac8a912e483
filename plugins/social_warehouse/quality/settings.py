"""config/quality.yml as one typed model: the gate's tolerances and, per kind of checked table,
the severity of a table without rows for the checked day. Every field is validated when the
file is read; an error names the file and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from social_warehouse import paths
from social_warehouse.config import _validation_error, read_yaml
from social_warehouse.errors import ConfigError
from social_warehouse.quality.targets import KINDS

Severity = Literal["critical", "warning"]
SEVERITIES: tuple[str, ...] = ("critical", "warning")


class QualitySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lifetime_drop_tolerance: float = Field(ge=0, le=1)
    revision_drop_tolerance: float = Field(ge=0, le=1)
    min_volume_ratio: float = Field(gt=0)
    max_volume_ratio: float = Field(gt=0)
    min_metric_ratio: float = Field(gt=0)
    account_post_tolerance: float = Field(ge=0, lt=1)
    no_rows_for_day: dict[str, str]

    @model_validator(mode="after")
    def _ratios_in_order(self) -> QualitySettings:
        if self.min_volume_ratio >= self.max_volume_ratio:
            raise ValueError(
                f"min_volume_ratio ({self.min_volume_ratio}) must be below max_volume_ratio "
                f"({self.max_volume_ratio})"
            )
        return self


def path() -> Path:
    return paths.config_dir() / "quality.yml"


def severities_problems(section: Any) -> list[str]:
    problems: list[str] = []
    unknown = sorted(set(section) - set(KINDS))
    if unknown:
        problems.append(f"unknown kind(s) {unknown} (kinds: {', '.join(KINDS)})")
    missing = [k for k in KINDS if k not in section]
    if missing:
        problems.append(f"no severity for {missing}")
    bad = {k: v for k, v in section.items() if v not in SEVERITIES}
    if bad:
        problems.append(f"invalid severity {bad} (use {' or '.join(SEVERITIES)})")
    return problems


def validate(data: Any, where: Path | None = None) -> QualitySettings:
    """The settings from a parsed quality.yml; ConfigError naming the file and each bad field."""
    where = where or path()
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping of tolerances and 'no_rows_for_day'")
    validate_severities(data, where)
    try:
        return QualitySettings.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(where, exc, data) from None


def validate_severities(data: dict[str, Any], where: Path | None = None) -> dict[str, str]:
    """The `no_rows_for_day` section alone: a severity for every kind of checked table."""
    where = where or path()
    section = data.get("no_rows_for_day")
    if not isinstance(section, dict):
        raise ConfigError(
            f"{where}: no_rows_for_day is missing: give each of {', '.join(KINDS)} a severity"
        )
    problems = severities_problems(section)
    if problems:
        raise ConfigError(f"{where}: no_rows_for_day: " + "; ".join(problems))
    return dict(section)


def load(file: Path | None = None) -> QualitySettings:
    file = file or path()
    return validate(read_yaml(file), file)
