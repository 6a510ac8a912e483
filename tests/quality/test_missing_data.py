"""Missing data is a result, not a crash: a table with no rows for the checked day (its
network's extract failed or has not run, dbt did not build the day) is reported by the gate like
any other expectation, named, dated and explained, with the severity config/quality.yml gives its
kind. Before this, GX raised NoAvailableBatchesError naming no table."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import yaml

from social_warehouse import paths
from social_warehouse.errors import ConfigError
from social_warehouse.quality.gate import QualityGateFailed, no_rows_severities, run_gate
from social_warehouse.quality.targets import KINDS, all_targets
from tests.conftest import CLEAN_DAY, LOADED_DAYS

EMPTIED = "raw.facebook_pages__posts"
ROW_COUNT = "expect_table_row_count_to_be_between"


@pytest.fixture
def day_without_facebook_posts(clean_warehouse) -> Iterator[str]:
    """The clean day with no rows in one raw table (as after a failed extract), restored after."""
    with psycopg.connect(clean_warehouse) as conn:
        conn.execute(
            f"create temporary table saved on commit preserve rows as "
            f"select * from {EMPTIED} where load_date = %s",
            (CLEAN_DAY,),
        )
        deleted = conn.execute(f"delete from {EMPTIED} where load_date = %s", (CLEAN_DAY,))
        assert deleted.rowcount > 0
        conn.commit()
        try:
            yield clean_warehouse
        finally:
            conn.execute(f"insert into {EMPTIED} select * from saved")
            conn.commit()


def failures(url: str, run_id: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            """select checked_day, asset, expectation_type, severity, observed
               from ops.quality_results where run_id = %s and not success order by asset""",
            (run_id,),
        ).fetchall()


def test_a_raw_table_without_rows_for_the_day_is_a_critical_result(day_without_facebook_posts):
    url = day_without_facebook_posts
    with pytest.raises(QualityGateFailed) as failed:
        run_gate([CLEAN_DAY], "missing-raw-table", url=url, build_docs=False)
    expected = (
        f"{EMPTIED} has no rows for {CLEAN_DAY}: the extract_facebook_pages run for that day "
        "failed or has not run"
    )
    first_lines = str(failed.value).splitlines()[:2]
    assert expected in first_lines[1], str(failed.value)
    assert f"failed for {CLEAN_DAY}: 1 critical expectation(s) failed" in first_lines[0]
    assert failures(url, "missing-raw-table") == [(CLEAN_DAY, EMPTIED, ROW_COUNT, "critical", 0)], (
        "only the emptied table is missing; its other expectations hold on no rows"
    )


@pytest.fixture
def swapped_severities(tmp_path, monkeypatch) -> Iterator[dict[str, str]]:
    """config/quality.yml with every kind's no-rows severity flipped; the suites the gate
    rewrites to follow it are restored afterwards."""
    config = yaml.safe_load((paths.config_dir() / "quality.yml").read_text())
    flip = {"critical": "warning", "warning": "critical"}
    config["no_rows_for_day"] = {k: flip[v] for k, v in config["no_rows_for_day"].items()}
    for item in paths.config_dir().iterdir():
        if item.is_file():
            shutil.copy(item, tmp_path / item.name)
    (tmp_path / "quality.yml").write_text(yaml.safe_dump(config))
    monkeypatch.setenv("SOCIAL_WAREHOUSE_CONFIG_DIR", str(tmp_path))
    suites = paths.expectations_dir() / "gx" / "expectations"
    saved = {p: p.read_bytes() for p in suites.rglob("*.json")}
    try:
        yield config["no_rows_for_day"]
    finally:
        for path, content in saved.items():
            Path(path).write_bytes(content)


def test_a_day_nothing_was_loaded_for_names_every_table_with_its_kinds_severity(
    clean_warehouse, swapped_severities
):
    """Before the first extract round every target is empty: the gate names each of them, with
    the severity config/quality.yml gives its kind (flipped here, so the config is what counts),
    and no expectation errors on an empty table."""
    day = LOADED_DAYS[0] - dt.timedelta(days=30)
    gate = run_gate(
        [day], "nothing-loaded", url=clean_warehouse, raise_on_critical=False, build_docs=False
    )
    empty = {o.asset: o.severity for o in gate.outcomes if o.no_rows}
    targets = all_targets()
    assert empty == {t.asset: swapped_severities[t.kind] for t in targets}
    assert [o for o in gate.outcomes if o.error] == []
    # flipped, the checks are the critical ones: the message starts with the first of them
    assert swapped_severities["checks"] == "critical"
    first = gate.critical_failures[0].describe()
    assert first.startswith(f"checks.account_post_reconciliation has no rows for {day}: its inputs")
    recorded = {
        (r[1], r[3]) for r in failures(clean_warehouse, "nothing-loaded") if r[2] == ROW_COUNT
    }
    assert recorded == set(empty.items())


@pytest.mark.parametrize(
    ("section", "complaint"),
    [
        (None, "no_rows_for_day is missing"),
        ({"raw": "critical", "marts": "critical", "checks": "warning"}, "no severity for"),
        (dict.fromkeys(KINDS, "critical") | {"mart": "warning"}, "unknown kind(s) ['mart']"),
        (dict.fromkeys(KINDS, "critical") | {"raw": "fatal"}, "invalid severity {'raw': 'fatal'}"),
    ],
)
def test_the_no_rows_section_is_validated_naming_what_is_wrong(section, complaint):
    config = {} if section is None else {"no_rows_for_day": section}
    with pytest.raises(ConfigError, match=r"quality\.yml: no_rows_for_day") as error:
        no_rows_severities(config)
    assert complaint in str(error.value)


def test_the_shipped_defaults_block_on_a_missing_raw_table_or_mart():
    severities = no_rows_severities()
    assert severities["raw"] == severities["marts"] == severities["observations"] == "critical"
    assert severities["checks"] == "warning"


@pytest.fixture
def migrated_only(warehouse_url) -> Iterator[str]:
    """A warehouse as the migrations leave it: raw and ops tables, no dbt model yet."""
    from psycopg import sql

    from social_warehouse.warehouse import database
    from social_warehouse.warehouse.migrate import migrate
    from tests.conftest import database_name_for_tests

    name = f"{database_name_for_tests()}_no_dbt"
    with psycopg.connect(database.server_url(warehouse_url), autocommit=True) as conn:
        drop = sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
        conn.execute(drop)
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        url = database.with_database(warehouse_url, name)
        migrate(url)
        try:
            yield url
        finally:
            conn.execute(drop)


def test_a_warehouse_dbt_never_built_is_reported_table_by_table(migrated_only):
    """The gate before dbt ever ran: every target that reads a model cannot be evaluated, and
    each says so in one line naming the relation; the raw tables have no rows."""
    with pytest.raises(QualityGateFailed) as failed:
        run_gate([CLEAN_DAY], "dbt-never-ran", url=migrated_only, build_docs=False)
    lines = str(failed.value).splitlines()
    assert any(
        line.startswith(f"  - marts.account_daily ({CLEAN_DAY}): ")
        and line.endswith('could not be evaluated: relation "marts.account_daily" does not exist')
        for line in lines
    ), lines
    assert len([line for line in lines if "marts.account_daily (" in line]) == 1
    assert f"  - {EMPTIED} has no rows for {CLEAN_DAY}" in "\n".join(lines)
