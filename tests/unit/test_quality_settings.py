"""config/quality.yml is one typed model: every field validated, errors name file and field."""

from __future__ import annotations

import pytest
import yaml

from social_warehouse.errors import ConfigError
from social_warehouse.quality import settings


def shipped() -> dict:
    return yaml.safe_load(settings.path().read_text())


def test_the_shipped_file_is_valid_and_typed():
    loaded = settings.load()
    assert 0 < loaded.min_volume_ratio < loaded.max_volume_ratio
    assert set(loaded.no_rows_for_day) == {"raw", "observations", "marts", "checks"}


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"min_volume_ratio": "half"}, "min_volume_ratio: Input should be a valid number"),
        ({"lifetime_drop_tolerance": 2}, "lifetime_drop_tolerance: Input should be less than"),
        ({"min_volume_ratio_typo": 0.5}, "min_volume_ratio_typo: unknown field"),
        ({"min_volume_ratio": 4.0}, "must be below max_volume_ratio"),
        ({"account_post_tolerance": None}, "account_post_tolerance: Input should be a valid"),
        ({"no_rows_for_day": {"raw": "critical"}}, "no_rows_for_day: no severity for"),
    ],
)
def test_a_bad_field_is_refused_naming_the_file_and_the_field(change, complaint, tmp_path):
    path = tmp_path / "quality.yml"
    path.write_text(yaml.safe_dump(shipped() | change))
    with pytest.raises(ConfigError) as error:
        settings.load(path)
    assert str(error.value).startswith(f"{path}: ")
    assert complaint in str(error.value)


def test_a_missing_tolerance_is_named():
    data = shipped()
    del data["min_metric_ratio"]
    with pytest.raises(ConfigError, match=r"quality\.yml: min_metric_ratio: Field required"):
        settings.validate(data)
