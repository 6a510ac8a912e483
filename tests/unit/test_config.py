"""config/accounts.yml and config/networks.yml are read strictly: every way a hand-edited file
silently lost or misdirected an account is an error naming the file, the entry and the field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from social_warehouse.config import check_account_id, load_brands, load_network_settings
from social_warehouse.errors import ConfigError

GOOD = """
brands:
  - id: northwind_coffee
    name: Northwind Coffee
    accounts:
      facebook_pages:
        - {id: "104729385610001", name: Northwind Coffee}
      youtube:
        - {id: "UCx9w6ZVq0sVbC3fJm8Hq2Aa"}
"""


def write(tmp_path: Path, text: str, name: str = "accounts.yml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_brands(path)
    return str(caught.value)


def test_a_good_file_loads(tmp_path):
    brands = load_brands(write(tmp_path, GOOD))
    assert [(a.network, a.account_id) for a in brands[0].accounts] == [
        ("facebook_pages", "104729385610001"),
        ("youtube", "UCx9w6ZVq0sVbC3fJm8Hq2Aa"),
    ]


def test_a_network_given_twice_in_one_brand_is_an_error_not_a_lost_account(tmp_path):
    text = GOOD + '      facebook_pages:\n        - {id: "104729385610002"}\n'
    message = error_of(write(tmp_path, text))
    assert "accounts.yml" in message
    assert "'facebook_pages' appears twice (first on line 6)" in message
    assert 'accounts.yml", line 10' in message


def test_an_id_yaml_reads_as_a_float_is_refused_with_its_value(tmp_path):
    text = GOOD.replace('"104729385610001"', "17841400000000001.0")
    message = error_of(write(tmp_path, text))
    assert "brands[0] ('northwind_coffee').accounts.facebook_pages[0].id" in message
    as_read = yaml.safe_load("id: 17841400000000001.0")["id"]
    assert "must be a quoted string" in message and f"YAML read {as_read!r} as a float" in message


def test_an_unquoted_numeric_id_is_refused_too(tmp_path):
    message = error_of(write(tmp_path, GOOD.replace('"104729385610001"', "104729385610001")))
    assert "must be a quoted string" in message


@pytest.mark.parametrize(
    ("network", "bad_id"),
    [
        ("facebook_pages", "999/../104729385610002"),
        ("facebook_pages", "abc def"),
        ("facebook_pages", " 104729385610001"),
        ("youtube", "UCx9w6ZVq0sVbC3fJm8Hq2A"),  # 21 characters after UC
        ("youtube", "@northwindcoffee"),
        ("x", "@northwindcoffee"),
        ("tiktok", "../business/get"),
    ],
)
def test_ids_are_checked_against_their_networks_shape(network, bad_id):
    with pytest.raises(ConfigError) as caught:
        check_account_id(network, bad_id, "somewhere")
    assert f"{bad_id!r} is not a" in str(caught.value) and "expected" in str(caught.value)


def test_the_file_reports_every_bad_id_with_its_place(tmp_path):
    text = GOOD.replace('"104729385610001"', '"999/../104729385610002"').replace(
        '"UCx9w6ZVq0sVbC3fJm8Hq2Aa"', '""'
    )
    message = error_of(write(tmp_path, text))
    assert "accounts.facebook_pages[0].id: '999/../104729385610002' is not a Facebook" in message
    assert "accounts.youtube[0].id: '' is not a YouTube account id" in message


def test_unknown_fields_networks_and_duplicate_accounts_are_errors(tmp_path):
    assert "unknown field" in error_of(write(tmp_path, GOOD.replace("name: Northwind", "nmae: N")))
    assert "unknown network 'facebook'" in error_of(
        write(tmp_path, GOOD.replace("facebook_pages:", "facebook:"))
    )
    twice = GOOD + (
        '  - id: lumen\n    accounts:\n      facebook_pages:\n        - {id: "104729385610001"}\n'
    )
    assert "already configured for brand 'northwind_coffee'" in error_of(write(tmp_path, twice))


def test_network_settings_are_typed_and_name_the_field(tmp_path):
    path = write(tmp_path, "networks:\n  x:\n    lookback_days: three\n", "networks.yml")
    with pytest.raises(ConfigError) as caught:
        load_network_settings("x", path)
    assert "networks.yml: networks.x.lookback_days" in str(caught.value)
    path = write(tmp_path, "networks:\n  x:\n    timezone: Mars/Olympus\n", "networks.yml")
    with pytest.raises(ConfigError, match="unknown time zone 'Mars/Olympus'"):
        load_network_settings("x", path)
    path = write(tmp_path, "networks:\n  xx:\n    lookback_days: 3\n", "networks.yml")
    with pytest.raises(ConfigError, match=r"networks\.xx is not a known network"):
        load_network_settings("x", path)
    path = write(tmp_path, "networks:\n  linkedin:\n    api_version: 202609\n", "networks.yml")
    assert load_network_settings("linkedin", path).api_version == "202609"


def test_check_config_and_extract_refuse_bad_input_before_any_call(tmp_path):
    """The CLI validates the account id and the day before touching the network or the
    warehouse: exit code 2 and one line naming what is wrong."""
    cli = [sys.executable, "-m", "social_warehouse.cli"]
    bad = write(tmp_path, GOOD.replace('"104729385610001"', "17841400000000001.0"))
    env = {"SOCIAL_WAREHOUSE_CONFIG_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    (tmp_path / "networks.yml").write_text("{}\n")
    result = subprocess.run([*cli, "check-config"], capture_output=True, text=True, env=env)
    assert result.returncode == 2 and "must be a quoted string" in result.stderr, result.stderr
    assert str(bad) in result.stderr
    extract = [*cli, "extract", "--network", "facebook_pages", "--date", "2026-11-20"]
    result = subprocess.run(
        [*extract, "--account", "999/../104729385610002"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "--account: '999/../104729385610002' is not a Facebook Pages account id" in result.stderr
    result = subprocess.run(
        [*extract[:6], "--account", "104729385610001", "--date", "2999-12-25"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "2999-12-25 has not ended yet in facebook_pages's time zone" in result.stderr
    assert "it can be loaded from 2999-12-26 08:00 UTC on" in result.stderr


def test_the_shipped_networks_file_holds_only_overrides():
    """Each connector declares its defaults once: config/networks.yml restating one is a second
    place for the same fact, which drifts."""
    from social_warehouse import paths
    from social_warehouse.config import read_yaml
    from social_warehouse.networks import catalog

    data = read_yaml(paths.config_dir() / "networks.yml")
    from social_warehouse.connector.settings import NetworkSettings

    base = NetworkSettings(network="n", connection_id="c").model_dump()
    defaults = data.get("defaults") or {}
    restated = [f"defaults.{key}" for key, value in defaults.items() if base[key] == value]
    for name, section in (data.get("networks") or {}).items():
        declared = catalog.get(name).defaults
        for key, value in section.items():
            if declared.get(key, base.get(key)) == value:
                restated.append(f"networks.{name}.{key}")
    assert restated == []
