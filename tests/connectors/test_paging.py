"""The paging loop every connector shares (Stream.pages), against the sandbox's listing faults:
each guard is tested where it alone stands between a quirk and a partial listing."""

from __future__ import annotations

import datetime as dt

import pytest

from social_warehouse.connector.streams import LoadContext
from social_warehouse.errors import PaginationLoopError
from social_warehouse.networks import catalog
from tests.helpers import add_fault, fast_settings, sandbox_connection

DAY = dt.date(2026, 11, 20)
CLOCK = dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC)
LISTINGS = {
    "facebook_pages": ("posts", "104729385610001"),
    "instagram": ("media", "17841400000000001"),
    "x": ("tweets", "1467726470533754880"),
    "tiktok": ("videos", "_000Nw7kQ2rT5vXyZ1aB3cD4eF6gH8jKmPq"),
}


def listing(sb, network: str, **settings):
    stream_name, account = LISTINGS[network]
    spec = catalog.get(network)
    config = fast_settings(network, **settings)
    client = spec.client_class(sandbox_connection(sb, network), config)
    ctx = LoadContext(network, account, DAY, config)
    return spec.stream(stream_name)(client, ctx)


@pytest.mark.parametrize("network", sorted(LISTINGS))
def test_an_empty_page_repeating_its_cursor_is_caught_by_the_continuation_guard(sb, network):
    """The repeated page is empty, so no record repeats: only the guard on continuations
    already followed can tell the listing is looping."""
    sb.state.clock = CLOCK
    add_fault(sb, "empty_page_with_next", network, params={"pages": [0]})
    add_fault(sb, "repeat_cursor", network, params={"pages": [0]})
    stream = listing(sb, network, page_size=5)
    with pytest.raises(PaginationLoopError) as caught:
        stream.collect()
    assert "already followed" in str(caught.value) and stream.name in str(caught.value)
    assert stream.client.stats.requests <= 3


@pytest.mark.parametrize("network", sorted(LISTINGS))
def test_empty_pages_are_followed_to_the_end(sb, network):
    sb.state.clock = CLOCK
    expected = {r.key for r in listing(sb, network, page_size=5).collect().records}
    add_fault(sb, "empty_page_with_next", network, params={"pages": [0, 2, "last"]})
    got = {r.key for r in listing(sb, network, page_size=5).collect().records}
    assert len(expected) > 5 and got == expected
