"""`make bench`: what loading costs here, as ratios against a baseline measured in the same
process (absolute times on a shared 2-core machine mean little; ratios travel).

1. raw load: our loader (COPY into the raw table, manifest, replace-by-day) vs a baseline that
   inserts the same rows with executemany in one transaction;
2. paging: the Facebook Pages client reading every post page from the sandbox vs plain
   requests.get on the same URLs (the cost of retries, classification and usage headers);
3. parsing: the page-insights parse function vs json.loads alone on the same bodies.
Results go to bench/results/latest.json and the console.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path

import orjson
import requests

from social_warehouse.config import load_network_settings
from social_warehouse.connections import ConnectionInfo
from social_warehouse.connector.streams import LoadContext, ParseResult, Record
from social_warehouse.loader import Loader, LoadKey, ShrinkCheck
from social_warehouse.networks.facebook_pages import FacebookPagesClient, PageInsights, Posts
from social_warehouse.sandbox.server import Sandbox
from social_warehouse.timeutil import Window
from social_warehouse.warehouse import database
from social_warehouse.warehouse.migrate import migrate

ROWS = 20_000
REPEATS = 3
DAY = dt.date(2026, 11, 20)


def best(fn, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def synthetic_records(n: int) -> ParseResult:
    payload = {
        "name": "page_media_view",
        "period": "day",
        "title": "Daily Media Views",
        "values": [{"value": 1234, "end_time": "2026-11-21T08:00:00+0000"}],
        "id": "123/insights/page_media_view/day",
    }
    return ParseResult([Record(f"m{i}|{DAY}", DAY, {**payload, "i": i}) for i in range(n)])


def bench_load(url: str) -> dict:
    result = synthetic_records(ROWS)
    key = LoadKey("facebook_pages", "bench", "page_insights", DAY)
    with database.connect(url) as conn, Loader(url) as loader:

        def ours() -> None:
            load_id = loader.begin(key, run_id="bench", window=Window(DAY, DAY))
            loader.write(
                key,
                load_id,
                run_id="bench",
                extracted_at=dt.datetime.now(dt.UTC),
                result=result,
                guard=ShrinkCheck(Window(DAY, DAY)),
            )

        def baseline() -> None:
            with conn.transaction():
                conn.execute(
                    "delete from raw.facebook_pages__page_insights where account_id = 'bench-base'"
                )
                with conn.cursor() as cur:
                    cur.executemany(
                        """insert into raw.facebook_pages__page_insights
                           (load_id, account_id, load_date, record_key, record_date,
                            extracted_at, run_id, payload)
                           values (0, 'bench-base', %s, %s, %s, now(), 'bench', %s)""",
                        [
                            (DAY, r.key, r.record_date, orjson.dumps(r.payload).decode())
                            for r in result.records
                        ],
                    )

        ours_s, base_s = best(ours), best(baseline)
        conn.execute(
            """delete from raw.facebook_pages__page_insights
               where account_id in ('bench', 'bench-base')"""
        )
        conn.execute("delete from ops.load_manifest where account_id = 'bench'")
        conn.commit()
    return {
        "rows": ROWS,
        "loader_s": round(ours_s, 3),
        "executemany_s": round(base_s, 3),
        "loader_rows_per_s": int(ROWS / ours_s),
        "speedup_vs_executemany": round(base_s / ours_s, 2),
    }


def bench_paging(sandbox: Sandbox) -> dict:
    settings = load_network_settings("facebook_pages")
    settings = settings.with_overrides(page_size=5, post_lookback_days=180)
    connection = ConnectionInfo("bench", sandbox.base_url("facebook_pages"), token="bench")
    calls: list[dict] = []

    def ours() -> None:
        client = FacebookPagesClient(connection, settings)
        ctx = LoadContext("facebook_pages", "104729385610001", DAY, settings)
        sandbox.state.requests.clear()
        assert Posts(client, ctx).collect().records
        calls[:] = list(sandbox.state.requests)

    ours_s = best(ours)
    pages = len(calls)
    session = requests.Session()
    base = sandbox.base_url("facebook_pages")

    def baseline() -> None:
        # the very same requests, replayed without retries, classification or parsing
        for call in calls:
            session.get(
                base + call["path"], params=call["query"], headers={"Authorization": "Bearer b"}
            ).json()

    base_s = best(baseline)
    return {
        "pages": pages,
        "client_s": round(ours_s, 3),
        "plain_requests_s": round(base_s, 3),
        "client_overhead_ratio": round(ours_s / base_s, 2),
    }


def bench_parse(sandbox: Sandbox) -> dict:
    settings = load_network_settings("facebook_pages").with_overrides(lookback_days=90)
    ctx = LoadContext("facebook_pages", "104729385610001", DAY, settings)
    client = FacebookPagesClient(
        ConnectionInfo("bench", sandbox.base_url("facebook_pages"), token="b"), settings
    )
    body = client.get(
        "v25.0/104729385610001/insights",
        {
            "metric": "page_media_view,page_total_media_view_unique,page_post_engagements,"
            "page_follows",
            "period": "day",
            "since": "2026-08-24",
            "until": "2026-11-21",
        },
    )
    raw = orjson.dumps(body)
    loops = 200
    parse_s = best(lambda: [PageInsights.parse(orjson.loads(raw), ctx) for _ in range(loops)])
    load_s = best(lambda: [orjson.loads(raw) for _ in range(loops)])
    records = len(PageInsights.parse(body, ctx).records)
    return {
        "records_per_body": records,
        "parse_records_per_s": int(records * loops / parse_s),
        "parse_vs_json_only_ratio": round(parse_s / load_s, 2),
    }


def main() -> int:
    url = database.warehouse_url()
    database.ensure_database(url)
    migrate(url)
    results: dict = {"measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    with Sandbox(clock=dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC)) as sandbox:
        results["raw_load"] = bench_load(url)
        results["paging"] = bench_paging(sandbox)
        results["parsing"] = bench_parse(sandbox)
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
