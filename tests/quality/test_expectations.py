"""Every expectation of every suite fails on a failing case: take the clean day's batch of its
target, check the expectation passes on it, break the batch the way the expectation forbids, and
check it now fails. The suites also pass whole on the sandbox's clean data."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from social_warehouse import paths
from social_warehouse.quality.gate import expectation_parameters, run_gate, sqlalchemy_url
from social_warehouse.quality.targets import DAY_SETTING, Target, all_targets
from tests.conftest import CLEAN_DAY, LOADED_DAYS

SUITES = paths.expectations_dir() / "gx" / "expectations"
# raw.stream guards every raw table: exercise it on a plain one and on one with a contract root
RAW_SAMPLES = ("raw.facebook_pages__page_insights", "raw.tiktok__business_profile")


def suite_cases() -> list[tuple[str, int, dict[str, Any]]]:
    cases = []
    for path in sorted(SUITES.rglob("*.json")):
        suite = json.loads(path.read_text())
        for index, expectation in enumerate(suite["expectations"]):
            cases.append((suite["name"], index, expectation))
    return cases


def targets_for(suite: str) -> list[Target]:
    targets = [t for t in all_targets() if t.suite == suite]
    if suite == "raw.stream":
        targets = [t for t in targets if t.asset in RAW_SAMPLES]
    assert targets, f"no target is guarded by suite {suite}"
    return targets


def resolve(value: Any, parameters: dict[str, Any]) -> Any:
    if isinstance(value, dict) and "$PARAMETER" in value:
        return parameters[value["$PARAMETER"]]
    return value


def one_row(column: str | None = None) -> str:
    where = f"where {column} is not null" if column else ""
    return f"ctid = (select ctid from case_table {where} limit 1)"


def break_batch(
    conn: psycopg.Connection, expectation: dict[str, Any], parameters: dict[str, Any]
) -> None:
    """Make the scratch batch violate `expectation` in one row (or as a whole for row counts)."""
    kind, kw = expectation["type"], expectation["kwargs"]
    column = kw.get("column")
    if kind == "expect_column_values_to_not_be_null":
        conn.execute(f"update case_table set {column} = null where {one_row()}")
    elif kind == "expect_column_values_to_be_between":
        low, high = (
            resolve(kw.get("min_value"), parameters),
            resolve(kw.get("max_value"), parameters),
        )
        value = Decimal(str(low)) - 1 if low is not None else Decimal(str(high)) + 1
        conn.execute(f"update case_table set {column} = %s where {one_row()}", (value,))
    elif kind == "expect_column_values_to_be_in_set":
        allowed = resolve(kw["value_set"], parameters)
        outsider = False if allowed == [True] else "not-in-set"
        conn.execute(f"update case_table set {column} = %s where {one_row()}", (outsider,))
    elif kind == "expect_compound_columns_to_be_unique":
        conn.execute("insert into case_table select * from case_table limit 1")
    elif kind == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = kw["column_A"], kw["column_B"]
        conn.execute(
            f"update case_table set {a} = {b} - 1 where ctid = (select ctid from case_table "
            f"where {a} is not null and {b} is not null limit 1)"
        )
    elif kind == "expect_column_distinct_values_to_contain_set":
        expected = resolve(kw["value_set"], parameters)
        conn.execute(f"delete from case_table where {column} = %s", (expected[0],))
    elif kind == "expect_table_row_count_to_be_between":
        conn.execute("delete from case_table")
    else:
        pytest.fail(f"no failing case is defined for {kind}: add one to break_batch()")


def validate(url: str, expectation: dict[str, Any], parameters: dict[str, Any]) -> bool:
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    datasource = context.data_sources.add_postgres("qa", connection_string=sqlalchemy_url(url))
    asset = datasource.add_query_asset("case", query="select * from qa.case_table")
    batch = asset.add_batch_definition_whole_table("all")
    config = {k: v for k, v in expectation.items() if k not in ("id", "meta")}
    suite = context.suites.add(gx.ExpectationSuite(name="case", expectations=[config]))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name="case", data=batch, suite=suite)
    )
    try:
        return bool(definition.run(expectation_parameters=parameters).success)
    finally:
        # one engine per case: close its connections now, not when the garbage collector runs
        # (a hundred cases would otherwise hold a shared server's connection slots)
        datasource.get_execution_engine().engine.dispose()
        datasource.get_engine().dispose()


@pytest.mark.parametrize(
    ("suite", "index", "expectation"),
    suite_cases(),
    ids=[f"{s}[{i}]-{e['type'][7:]}" for s, i, e in suite_cases()],
)
def test_each_expectation_fails_on_its_failing_case(clean_warehouse, suite, index, expectation):
    parameters = expectation_parameters()
    for target in targets_for(suite):
        with psycopg.connect(clean_warehouse, autocommit=True) as conn:
            conn.execute("create schema if not exists qa")
            conn.execute("drop table if exists qa.case_table")
            conn.execute(f"select set_config('{DAY_SETTING}', %s, false)", (str(CLEAN_DAY),))
            conn.execute(f"create table qa.case_table as select * from ({target.query}) t")
            conn.execute("set search_path to qa")
            assert validate(clean_warehouse, expectation, parameters), (
                f"{target.asset}: {expectation['type']} must pass on the clean day first"
            )
            break_batch(conn, expectation, parameters)
        assert not validate(clean_warehouse, expectation, parameters), (
            f"{target.asset}: {expectation['type']} {expectation['kwargs']} "
            "did not catch its failing case"
        )


def test_the_suites_pass_on_the_sandbox_clean_data(clean_warehouse):
    gate = run_gate(
        LOADED_DAYS[-3:],
        "clean-data-check",
        url=clean_warehouse,
        raise_on_critical=False,
        build_docs=False,
    )
    failures = [o.describe() for o in gate.outcomes if not o.success]
    assert failures == []
    assert len(gate.outcomes) > 300


def test_every_target_has_its_suite_and_every_suite_a_target():
    suites = {case[0] for case in suite_cases()}
    used = {t.suite for t in all_targets()}
    assert used == suites
    assert all(Path(SUITES / (s.replace(".", "/", 1) + ".json")).exists() for s in used)
