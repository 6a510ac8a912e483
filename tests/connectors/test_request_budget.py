"""Requests per account-day at the least the APIs allow: a full load of every configured account
against the sandbox, counted in ops.load_manifest, within 5% of the minimum the sandbox's truth
gives at the APIs' largest pages and batches (bench/request_budget.py computes both); and page or
batch sizes configured above those maxima are cut to them, never sent."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path

import pytest

from social_warehouse.connector.streams import LoadContext
from social_warehouse.networks import catalog
from tests.helpers import fast_settings, sandbox_connection

DAY = dt.date(2026, 11, 20)
CLOCK = dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC)
MAX_RATIO = 1.05


def _budget():
    path = Path(__file__).resolve().parents[2] / "bench" / "request_budget.py"
    name = "bench_request_budget"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.mark.parametrize("network", ["facebook_pages", "instagram", "linkedin"])
def test_requests_per_account_day_are_within_five_percent_of_the_minimum(
    sb, warehouse_url, network
):
    budget = _budget()
    row = budget.measure(sb, warehouse_url, network, settings=fast_settings(network))
    assert row.accounts >= 2 and row.minimum, "every configured account is measured"
    assert row.ratio <= MAX_RATIO, budget.table([row]) + "\n" + repr(row.per_account)


def _stream(sb, network: str, account: str, stream: str, **settings):
    config = fast_settings(network, **settings)
    client = catalog.get(network).client_class(sandbox_connection(sb, network), config)
    ctx = LoadContext(network, account, DAY, config)
    return catalog.get(network).stream(stream)(client, ctx), ctx


@pytest.mark.parametrize(
    ("network", "account", "stream", "param"),
    [
        ("facebook_pages", "104729385610001", "posts", "limit"),
        ("instagram", "17841400000000001", "media", "limit"),
        ("linkedin", "2414183", "posts", "count"),
    ],
)
def test_a_page_size_above_the_api_maximum_is_cut_to_it(sb, network, account, stream, param):
    sb.state.clock = CLOCK
    listing, _ = _stream(sb, network, account, stream, page_size=500)
    assert listing.collect().records
    sent = {r["query"].get(param) for r in sb.state.requests if param in r["query"]}
    assert sent == {"100"}


def test_linkedin_statistics_batches_above_fifty_urns_are_cut_to_fifty(sb):
    sb.state.clock = CLOCK
    posts, ctx = _stream(
        sb,
        "linkedin",
        "2414183",
        "posts",
        post_lookback_days=120,
        extra={"post_stats_batch_size": 80},
    )
    posts.collect()
    stats = catalog.get("linkedin").stream("post_statistics")(posts.client, ctx)
    assert len(stats.collect().records) == len(ctx.keys_of("posts")) > 50
    batches = [len(urns) for urns in stats.asked.values()]
    assert max(batches) == 50
