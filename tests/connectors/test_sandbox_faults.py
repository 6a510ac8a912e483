"""The sandbox's paging, period and timing faults, spoken to over plain HTTP (no project client):
what each switch puts on the wire per network, that a client which follows every continuation
until the API says the end still gets exactly the items of a fault-free listing, that one which
stops at an empty page loses the rest, and that a repeated continuation really repeats."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from social_warehouse.sandbox.base import Fault
from social_warehouse.sandbox.server import Sandbox
from tests.helpers import add_fault

CLOCK = dt.datetime(2026, 11, 21, 18, 0, tzinfo=dt.UTC)
TOKEN = "fault-matrix-token"  # its own YouTube quota, apart from other tests' token
MAX_REQUESTS = 400  # a walk that needs more than this is looping


@pytest.fixture
def fsb(sb: Sandbox) -> Iterator[Sandbox]:
    """The reset sandbox at a fixed clock, with rate limits out of the way (these tests make many
    small-page calls and assert on paging, not throttling)."""
    sb.state.clock = CLOCK
    for network in sb.state.networks.values():
        network.rate.limit = 1_000_000
    yield sb


@dataclasses.dataclass
class Call:
    """One HTTP request of a listing walk."""

    url: str
    params: dict[str, Any]
    headers: dict[str, str]

    def send(self) -> Any:
        response = requests.get(self.url, params=self.params, headers=self.headers, timeout=30)
        assert response.status_code == 200, (response.status_code, response.text[:500])
        return response.json()


@dataclasses.dataclass
class Listing:
    """How one network's paged listing is walked over HTTP, continuations as the API sends them.

    `continuation(body)` is what the answer says to ask for next (None: the API says the end);
    `follow(call, body)` is the next request built from it; `sent(call)` is the continuation a
    request carried (None on a first page), to compare with what came back."""

    network: str
    path: str  # the fault's path regex: this listing only
    size: int  # page size: several pages per listing, few enough calls to stay quick
    first: Callable[[Sandbox, int], Call]
    items: Callable[[Any], list[str]]
    continuation: Callable[[Any], Any]
    follow: Callable[[Sandbox, Call, Any], Call]
    sent: Callable[[Call], Any]

    def walk(self, sandbox: Sandbox, *, stop_on_empty: bool = False) -> Walk:
        call: Call | None = self.first(sandbox, self.size)
        walk = Walk()
        while call is not None:
            assert len(walk.pages) < MAX_REQUESTS, f"{self.network}: no end after {MAX_REQUESTS}"
            body = call.send()
            page = self.items(body)
            walk.pages.append(page)
            walk.sent.append(self.sent(call))
            walk.returned.append(self.continuation(body))
            if walk.returned[-1] is None or (stop_on_empty and not page):
                break
            call = self.follow(sandbox, call, body)
        return walk

    def steps(self, sandbox: Sandbox, count: int) -> Walk:
        """Follow the continuation blindly for `count` calls (a client without loop detection)."""
        call = self.first(sandbox, self.size)
        walk = Walk()
        for _ in range(count):
            body = call.send()
            walk.pages.append(self.items(body))
            walk.sent.append(self.sent(call))
            walk.returned.append(self.continuation(body))
            assert walk.returned[-1] is not None, f"{self.network}: the listing ended"
            call = self.follow(sandbox, call, body)
        return walk


@dataclasses.dataclass
class Walk:
    pages: list[list[str]] = dataclasses.field(default_factory=list)
    sent: list[Any] = dataclasses.field(default_factory=list)  # continuation each call carried
    returned: list[Any] = dataclasses.field(default_factory=list)  # continuation each answer gave

    @property
    def items(self) -> list[str]:
        return [item for page in self.pages for item in page]


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _full_url(call: Call) -> str:
    return str(requests.Request("GET", call.url, params=call.params).prepare().url)


# --- the six listings -----------------------------------------------------------------------------
FB_PAGE = "104729385610002"
IG_USER = "17841400000000002"
X_USER = "1467726470533754881"
LI_ORG = "10492731"
YT_CHANNEL = "UCq4Lm8Rt2Yp6Wn0Zb3Xc7Vd"
TT_BUSINESS = "_000Lm4pR8sU2wYz6bC9dE1fG3hJ5kLnQrS"
LI_HEADERS = {
    "Authorization": f"Bearer {TOKEN}",
    "LinkedIn-Version": "202611",
    "X-Restli-Protocol-Version": "2.0.0",
}


def _graph(network: str, path: str, params: dict[str, Any]) -> Callable[[Sandbox, int], Call]:
    def first(sandbox: Sandbox, size: int) -> Call:
        query = {**params, "limit": size, "access_token": TOKEN}
        return Call(f"{sandbox.base_url(network)}/v25.0/{path}", query, {})

    return first


def _graph_listing(
    network: str, path: str, params: dict[str, Any], regex: str, size: int
) -> Listing:
    return Listing(
        network=network,
        path=regex,
        size=size,
        first=_graph(network, path, params),
        items=lambda body: [item["id"] for item in body["data"]],
        continuation=lambda body: body.get("paging", {}).get("next"),
        follow=lambda sandbox, call, body: Call(body["paging"]["next"], {}, {}),
        # the continuation a Graph call carries is its whole URL (the next link it came from)
        sent=_full_url,
    )


def _linkedin_next(body: Any) -> str | None:
    links = [link for link in body["paging"]["links"] if link["rel"] == "next"]
    return links[0]["href"] if links else None


def _linkedin_start(body: Any) -> int | None:
    href = _linkedin_next(body)
    return int(_query(href)["start"]) if href else None


LISTINGS = {
    "facebook_pages": _graph_listing(
        "facebook_pages",
        f"{FB_PAGE}/published_posts",
        {
            "fields": "id,created_time",
            "since": "2026-05-01",
            "until": "2026-11-21",
        },
        r"/published_posts$",
        10,
    ),
    "instagram": _graph_listing(
        "instagram", f"{IG_USER}/media", {"fields": "id,timestamp"}, r"/media$", 20
    ),
    "x": Listing(
        network="x",
        path=r"/tweets$",
        size=10,
        first=lambda sandbox, size: Call(
            f"{sandbox.base_url('x')}/2/users/{X_USER}/tweets",
            {"max_results": size, "start_time": "2026-06-01T00:00:00Z"},
            {"Authorization": f"Bearer {TOKEN}"},
        ),
        items=lambda body: [tweet["id"] for tweet in body.get("data", [])],
        continuation=lambda body: body["meta"].get("next_token"),
        follow=lambda sandbox, call, body: dataclasses.replace(
            call, params={**call.params, "pagination_token": body["meta"]["next_token"]}
        ),
        sent=lambda call: call.params.get("pagination_token"),
    ),
    "linkedin": Listing(
        network="linkedin",
        path=r"^/rest/posts$",
        size=25,
        first=lambda sandbox, size: Call(
            f"{sandbox.base_url('linkedin')}/rest/posts",
            {
                "author": f"urn:li:organization:{LI_ORG}",
                "q": "author",
                "sortBy": "LAST_MODIFIED",
                "start": 0,
                "count": size,
            },
            LI_HEADERS,
        ),
        items=lambda body: [post["id"] for post in body["elements"]],
        continuation=_linkedin_start,
        # the href is relative to the API host: joined to the base URL, query and all
        follow=lambda sandbox, call, body: Call(
            sandbox.base_url("linkedin") + str(_linkedin_next(body)), {}, LI_HEADERS
        ),
        sent=lambda call: int(_query(_full_url(call))["start"]),
    ),
    "youtube": Listing(
        network="youtube",
        path=r"/playlistItems$",
        size=50,
        first=lambda sandbox, size: Call(
            f"{sandbox.base_url('youtube')}/youtube/v3/playlistItems",
            {"part": "contentDetails", "playlistId": "UU" + YT_CHANNEL[2:], "maxResults": size},
            {"Authorization": f"Bearer {TOKEN}"},
        ),
        items=lambda body: [item["contentDetails"]["videoId"] for item in body["items"]],
        continuation=lambda body: body.get("nextPageToken"),
        follow=lambda sandbox, call, body: dataclasses.replace(
            call, params={**call.params, "pageToken": body["nextPageToken"]}
        ),
        sent=lambda call: call.params.get("pageToken"),
    ),
    "tiktok": Listing(
        network="tiktok",
        path=r"/video/list/?$",
        size=20,
        first=lambda sandbox, size: Call(
            f"{sandbox.base_url('tiktok')}/open_api/v1.3/business/video/list/",
            {"business_id": TT_BUSINESS, "fields": '["item_id","create_time"]', "max_count": size},
            {"Access-Token": TOKEN},
        ),
        items=lambda body: [video["item_id"] for video in body["data"]["videos"]],
        continuation=lambda body: body["data"]["cursor"] if body["data"]["has_more"] else None,
        follow=lambda sandbox, call, body: dataclasses.replace(
            call, params={**call.params, "cursor": body["data"]["cursor"]}
        ),
        sent=lambda call: call.params.get("cursor"),
    ),
}
REPORT_ROWS = 10  # maxResults of the YouTube Analytics report pages
NETWORKS = sorted(LISTINGS)


def _fault(sandbox: Sandbox, kind: str, listing: Listing, **params: Any) -> None:
    add_fault(sandbox, kind, listing.network, path=listing.path, params=params)


@pytest.fixture(params=NETWORKS)
def listing(request: pytest.FixtureRequest) -> Listing:
    return LISTINGS[request.param]


@pytest.fixture
def clean(fsb: Sandbox, listing: Listing) -> Walk:
    """The fault-free listing: full pages until the last, continuations never repeating."""
    walk = listing.walk(fsb)
    assert len(walk.pages) >= 4, f"{listing.network}: too few items to page through"
    assert all(len(page) == listing.size for page in walk.pages[:-1])
    assert 0 < len(walk.pages[-1]) <= listing.size
    assert len(set(walk.items)) == len(walk.items)
    continuations = [c for c in walk.returned if c is not None]
    assert len(set(map(str, continuations))) == len(continuations)
    return walk


# --- empty_page_with_next: every network -------------------------------------------------------
def test_an_empty_first_page_still_leads_to_every_item(fsb, listing, clean):
    _fault(fsb, "empty_page_with_next", listing)
    walk = listing.walk(fsb)
    assert walk.pages[0] == []
    assert walk.returned[0] is not None, "the empty page must carry a continuation"
    assert walk.items == clean.items
    assert listing.walk(fsb, stop_on_empty=True).items == []


def test_empty_pages_in_the_middle_lose_the_rest_only_for_a_client_that_stops(fsb, listing, clean):
    _fault(fsb, "empty_page_with_next", listing, pages=[2, 3])
    walk = listing.walk(fsb)
    size = listing.size
    assert [len(page) for page in walk.pages[:5]] == [size, size, 0, 0, size]
    assert walk.items == clean.items
    stopped = listing.walk(fsb, stop_on_empty=True)
    assert stopped.items == clean.items[: 2 * size]
    assert len(stopped.items) < len(clean.items)


def test_named_pages_middle_and_last(fsb, listing, clean):
    _fault(fsb, "empty_page_with_next", listing, pages=["middle", "last"])
    walk = listing.walk(fsb)
    middle = len(clean.pages) // 2
    assert walk.pages[middle] == []
    assert walk.pages[-1] == [], "'last' is an empty page after the last items"
    assert walk.returned[-1] is None, "the trailing empty page ends the listing"
    assert walk.items == clean.items


def test_short_pages_keep_the_visible_items_and_the_continuation(fsb, listing, clean):
    _fault(fsb, "empty_page_with_next", listing, pages=[1], visible=3)
    walk = listing.walk(fsb)
    assert [len(page) for page in walk.pages[:3]] == [listing.size, 3, listing.size]
    assert walk.returned[1] is not None
    assert walk.items == clean.items


def test_the_fault_holds_for_the_whole_listing_whatever_count_says(fsb, listing, clean):
    # count=1 would empty one request and let the next one skip the items it pushed along
    add_fault(fsb, "empty_page_with_next", listing.network, count=1, path=listing.path)
    assert fsb.state.faults[0].count is None
    assert listing.walk(fsb).items == clean.items
    assert listing.walk(fsb).items == clean.items


def test_the_ground_truth_ignores_listing_faults(fsb, listing):
    truth_url = f"{fsb.url}/_sandbox/truth/{listing.network}"
    account = {
        "facebook_pages": FB_PAGE,
        "instagram": IG_USER,
        "x": X_USER,
        "linkedin": LI_ORG,
        "youtube": YT_CHANNEL,
        "tiktok": TT_BUSINESS,
    }[listing.network]
    query = {"account_id": account, "day": "2026-11-19", "post_days": 28}
    before = requests.get(truth_url, params=query, timeout=30).json()
    add_fault(fsb, "empty_page_with_next", None, params={"pages": [0, 1]})
    add_fault(fsb, "repeat_cursor", None, params={"pages": [2]})
    assert requests.get(truth_url, params=query, timeout=30).json() == before
    assert before["posts"], "the truth window should hold posts"


# --- repeat_cursor: every network ----------------------------------------------------------------
def test_a_repeated_first_continuation_loops_on_the_first_page(fsb, listing, clean):
    _fault(fsb, "repeat_cursor", listing)
    walk = listing.steps(fsb, 4)
    assert walk.pages == [clean.pages[0]] * 4
    # from the second call on, every answer hands back the continuation it was asked with
    assert walk.returned[1:] == walk.sent[1:]
    assert walk.returned[0] == walk.sent[1]
    if walk.sent[0] is not None:  # Graph URL, LinkedIn start: the very first call's own
        assert walk.returned[0] == walk.sent[0]


def test_a_repeated_later_continuation_is_the_one_just_used(fsb, listing, clean):
    _fault(fsb, "repeat_cursor", listing, pages=[2])
    walk = listing.steps(fsb, 5)
    assert walk.pages[:2] == clean.pages[:2]
    assert walk.pages[2:] == [clean.pages[2]] * 3
    assert walk.sent[2] == clean.sent[2], "page 2 is asked for with the clean continuation"
    assert walk.returned[2:] == walk.sent[2:] == [clean.sent[2]] * 3


def test_the_last_page_can_repeat_instead_of_ending(fsb, listing, clean):
    _fault(fsb, "repeat_cursor", listing, pages=["last"])
    last = len(clean.pages) - 1
    walk = listing.steps(fsb, last + 3)
    assert walk.pages[: last + 1] == clean.pages
    assert walk.pages[last + 1 :] == [clean.pages[last]] * 2
    assert walk.returned[last] == walk.sent[last] == clean.sent[last]


# --- wire shapes of an empty page, per network ----------------------------------------------------
def _first_body(sandbox: Sandbox, network: str) -> Any:
    listing = LISTINGS[network]
    return listing.first(sandbox, listing.size).send()


@pytest.mark.parametrize("network", ["facebook_pages", "instagram"])
def test_graph_empty_page_shape(fsb, network):
    listing = LISTINGS[network]
    _fault(fsb, "empty_page_with_next", listing, pages=[0, 1])
    body = _first_body(fsb, network)
    assert set(body) == {"data", "paging"}
    assert body["data"] == []
    assert set(body["paging"]) == {"cursors", "next"}  # no `previous` on the first page
    assert set(body["paging"]["cursors"]) == {"before", "after"}
    after = body["paging"]["cursors"]["after"]
    assert _query(body["paging"]["next"])["after"] == after
    assert _query(body["paging"]["next"])["access_token"] == TOKEN  # as Meta's next links do
    second = requests.get(body["paging"]["next"], timeout=30).json()
    assert second["data"] == []
    previous = _query(second["paging"]["previous"])
    assert "before" in previous and "after" not in previous
    assert second["paging"]["cursors"]["before"] == after


def test_x_empty_page_shape(fsb):
    _fault(fsb, "empty_page_with_next", LISTINGS["x"], pages=[0, 1])
    body = _first_body(fsb, "x")
    assert set(body) == {"meta"}, "an empty page has no `data` at all"
    assert set(body["meta"]) == {"result_count", "next_token"}
    assert body["meta"]["result_count"] == 0
    second = LISTINGS["x"].follow(fsb, LISTINGS["x"].first(fsb, 10), body).send()
    assert set(second) == {"meta"}
    assert set(second["meta"]) == {"result_count", "next_token", "previous_token"}
    assert second["meta"]["next_token"] != body["meta"]["next_token"]


def test_linkedin_empty_page_shape(fsb, clean_linkedin):
    size = LISTINGS["linkedin"].size
    _fault(fsb, "empty_page_with_next", LISTINGS["linkedin"])
    body = _first_body(fsb, "linkedin")
    assert body["elements"] == []
    paging = body["paging"]
    assert set(paging) == {"start", "count", "links", "total"}
    assert (paging["start"], paging["count"]) == (0, size)
    assert paging["total"] == len(clean_linkedin.items) + size, "hidden posts count in total"
    [link] = paging["links"]
    assert set(link) == {"type", "rel", "href"}
    assert (link["type"], link["rel"]) == ("application/json", "next")
    assert link["href"].startswith("/rest/posts?")
    query = _query(link["href"])
    assert (query["start"], query["count"]) == (str(size), str(size))
    assert (query["q"], query["author"]) == ("author", f"urn:li:organization:{LI_ORG}")


def test_linkedin_next_start_counts_slots_not_elements(fsb, clean_linkedin):
    size = LISTINGS["linkedin"].size
    _fault(fsb, "empty_page_with_next", LISTINGS["linkedin"], pages=[1], visible=3)
    walk = LISTINGS["linkedin"].walk(fsb)
    assert len(walk.pages[1]) == 3
    assert walk.sent[:4] == [0, size, 2 * size, 3 * size]  # start + count, not + 3
    links = _first_body(fsb, "linkedin")["paging"]
    assert links["total"] == len(clean_linkedin.items) + size - 3


def test_youtube_empty_page_shape(fsb, clean_youtube):
    listing = LISTINGS["youtube"]
    size = listing.size
    _fault(fsb, "empty_page_with_next", LISTINGS["youtube"], pages=[0], visible=2)
    body = _first_body(fsb, "youtube")
    assert body["kind"] == "youtube#playlistItemListResponse"
    assert len(body["items"]) == 2
    assert "nextPageToken" in body and "prevPageToken" not in body
    assert body["pageInfo"] == {
        "totalResults": len(clean_youtube.items) + size - 2,
        "resultsPerPage": size,
    }
    # positions count the hidden videos: the next page starts at position `size`
    first = listing.first(fsb, size)
    snippet = dataclasses.replace(first, params={**first.params, "part": "snippet"})
    second = listing.follow(fsb, snippet, snippet.send()).send()
    assert second["items"][0]["snippet"]["position"] == size


def test_tiktok_empty_page_shape(fsb):
    _fault(fsb, "empty_page_with_next", LISTINGS["tiktok"], pages=[0, 1])
    body = _first_body(fsb, "tiktok")
    assert (body["code"], body["message"]) == (0, "OK")
    size = LISTINGS["tiktok"].size
    assert body["data"] == {"videos": [], "cursor": size, "has_more": True}


def test_repeat_wire_shapes(fsb):
    """Page 1 of each listing hands back exactly what asked for it."""
    for name, listing in LISTINGS.items():
        fsb.state.faults.clear()
        _fault(fsb, "repeat_cursor", listing, pages=[1])
        first = listing.first(fsb, listing.size)
        second = listing.follow(fsb, first, first.send())
        body = second.send()
        if name in ("facebook_pages", "instagram"):
            assert body["paging"]["next"] == second.url, name  # the very URL
            assert body["paging"]["cursors"]["after"] == _query(second.url)["after"], name
        elif name == "x":
            assert body["meta"]["next_token"] == second.params["pagination_token"]
        elif name == "linkedin":
            href = _linkedin_next(body)
            assert second.url == fsb.base_url("linkedin") + str(href)
        elif name == "youtube":
            assert body["nextPageToken"] == second.params["pageToken"]
        else:
            assert body["data"]["cursor"] == second.params["cursor"] == listing.size
            assert body["data"]["has_more"] is True


@pytest.fixture
def clean_linkedin(fsb: Sandbox) -> Walk:
    return LISTINGS["linkedin"].walk(fsb)


@pytest.fixture
def clean_youtube(fsb: Sandbox) -> Walk:
    return LISTINGS["youtube"].walk(fsb)


# --- YouTube Analytics: no continuation on the wire -----------------------------------------------
def _report(sandbox: Sandbox, start_index: int) -> list[list[Any]]:
    body = Call(
        f"{sandbox.base_url('youtube')}/v2/reports",
        {
            "ids": f"channel=={YT_CHANNEL}",
            "startDate": "2026-08-01",
            "endDate": "2026-11-15",
            "metrics": "views,likes",
            "dimensions": "day",
            "sort": "day",
            "maxResults": REPORT_ROWS,
            "startIndex": start_index,
        },
        {"Authorization": f"Bearer {TOKEN}"},
    ).send()
    assert "nextPageToken" not in body, "reports page by startIndex only"
    return body.get("rows", [])


def test_youtube_reports_repeat_a_page_when_start_index_is_ignored(fsb):
    size = REPORT_ROWS
    clean = [_report(fsb, 1 + size * n) for n in range(4)]
    assert all(len(rows) == size for rows in clean)
    add_fault(fsb, "repeat_cursor", "youtube", path=r"/v2/reports", params={"pages": [1]})
    assert _report(fsb, 1) == clean[0]
    assert _report(fsb, 1 + size) == clean[1]
    assert _report(fsb, 1 + 2 * size) == clean[1]
    assert _report(fsb, 1 + 3 * size) == clean[1]


# --- control endpoint: faults it refuses ----------------------------------------------------------
@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({"kind": "empty_page_with_nxt"}, "unknown fault kind 'empty_page_with_nxt'"),
        ({"kind": "empty_page_with_next", "params": {"pages": ["sometimes"]}}, "params.pages"),
        ({"kind": "repeat_cursor", "params": {"pages": [-1]}}, "params.pages"),
        ({"kind": "empty_page_with_next", "params": {"visible": "3"}}, "params.visible"),
        ({"kind": "slow", "params": {"seconds": "soon"}}, "params.seconds"),
        ({"kind": "slow", "count": 1, "sometimes": True}, "unknown fields"),
    ],
)
def test_unusable_faults_are_refused(fsb, fault, message):
    response = requests.post(f"{fsb.url}/_sandbox/faults", json=fault, timeout=10)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert fsb.state.faults == []


def test_listing_faults_set_over_http_hold_until_cleared(fsb):
    response = requests.post(
        f"{fsb.url}/_sandbox/faults",
        json={"kind": "repeat_cursor", "network": "x", "count": 1, "after": 2},
        timeout=10,
    )
    assert response.status_code == 201
    listed = requests.get(f"{fsb.url}/_sandbox/faults", timeout=10).json()["faults"]
    assert [(f["kind"], f["count"], f["after"]) for f in listed] == [("repeat_cursor", None, 0)]
    with pytest.raises(ValueError, match="unknown fault kind"):
        Fault(kind="repeat_cursors")
    with pytest.raises(ValueError, match=r"params\.pages"):
        add_fault(fsb, "empty_page_with_next", "x", params={"pages": "2"})


# --- Facebook page insights periods ---------------------------------------------------------------
INSIGHT_METRICS = "page_media_view,page_follows,page_fan_adds_by_paid_non_paid_unique"
DAYS = [dt.date(2026, 11, 17) + dt.timedelta(days=i) for i in range(4)]


def _insights(sandbox: Sandbox, path: str = "", **params: Any) -> requests.Response:
    query = {
        "metric": INSIGHT_METRICS,
        "since": DAYS[0].isoformat(),
        "until": (DAYS[-1] + dt.timedelta(days=1)).isoformat(),
        "access_token": TOKEN,
        **params,
    }
    url = f"{sandbox.base_url('facebook_pages')}/v25.0/{FB_PAGE}/insights{path}"
    return requests.get(url, params=query, timeout=30)


def _daily_history(sandbox: Sandbox) -> dict[str, dict[str, Any]]:
    """metric -> end_time -> the day's value, 40 days back (enough for every 28-day sum)."""
    since = (DAYS[0] - dt.timedelta(days=36)).isoformat()
    body = _insights(sandbox, period="day", since=since).json()
    return {m["name"]: {v["end_time"]: v["value"] for v in m["values"]} for m in body["data"]}


def _sum(values: list[Any]) -> Any:
    if isinstance(values[0], dict):
        return {key: sum(v[key] for v in values) for key in values[0]}
    return sum(values)


def test_unpinned_insights_answer_every_period_with_the_same_end_times(fsb):
    response = _insights(fsb)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    names = INSIGHT_METRICS.split(",")
    assert [(m["name"], m["period"]) for m in data] == [
        (name, period) for name in names for period in ("day", "week", "days_28")
    ]
    for metric in data:
        assert metric["id"] == f"{FB_PAGE}/insights/{metric['name']}/{metric['period']}"
        label = {"day": "Daily", "week": "Weekly", "days_28": "28 Days"}[metric["period"]]
        assert metric["description"].startswith(f"{label}: ")
        if metric["period"] != "day":
            assert metric["title"].startswith(f"{label} ")
        assert [v["end_time"] for v in metric["values"]] == [
            v["end_time"] for v in data[0]["values"]
        ]
    assert len(data[0]["values"]) == len(DAYS)


def test_week_and_28_day_values_sum_the_daily_values(fsb):
    history = _daily_history(fsb)
    data = _insights(fsb).json()["data"]
    for metric in data:
        daily = history[metric["name"]]
        times = sorted(daily)
        for entry in metric["values"]:
            end = times.index(entry["end_time"])
            if metric["period"] == "day" or metric["name"] == "page_follows":
                expected = daily[entry["end_time"]]  # page_follows is a total, not a flow
            else:
                span = 7 if metric["period"] == "week" else 28
                expected = _sum([daily[t] for t in times[end - span + 1 : end + 1]])
            assert entry["value"] == expected, (metric["name"], metric["period"], entry)
    week = next(m for m in data if (m["name"], m["period"]) == ("page_media_view", "week"))
    day = next(m for m in data if (m["name"], m["period"]) == ("page_media_view", "day"))
    assert all(w["value"] > d["value"] for w, d in zip(week["values"], day["values"], strict=True))


def test_a_pinned_period_answers_that_period_only(fsb):
    unpinned = _insights(fsb).json()["data"]
    for period in ("day", "week", "days_28"):
        data = _insights(fsb, period=period).json()["data"]
        assert data == [m for m in unpinned if m["period"] == period]
    path_form = _insights(fsb, "/page_media_view/days_28", metric=None).json()["data"]
    assert [(m["name"], m["period"]) for m in path_form] == [("page_media_view", "days_28")]
    assert path_form[0] == next(
        m for m in unpinned if (m["name"], m["period"]) == ("page_media_view", "days_28")
    )


def test_ignore_period_answers_every_period_although_day_was_pinned(fsb):
    unpinned = _insights(fsb).json()["data"]
    add_fault(fsb, "ignore_period", "facebook_pages", path="/insights")
    assert _insights(fsb, period="day").json()["data"] == unpinned
    # count=1 by default: the next call is answered as asked again
    assert {m["period"] for m in _insights(fsb, period="day").json()["data"]} == {"day"}


def test_an_unknown_period_is_refused(fsb):
    response = _insights(fsb, period="lifetime")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 100
    assert "day, week, days_28" in error["message"]


# --- slow ----------------------------------------------------------------------------------------
def test_slow_delays_the_matching_response_without_blocking_others(fsb):
    listing = LISTINGS["tiktok"]
    add_fault(fsb, "slow", "tiktok", count=1, path=listing.path, params={"seconds": 1.5})
    timings: dict[str, float] = {}

    def slow_call() -> None:
        started = time.monotonic()
        listing.first(fsb, listing.size).send()
        timings["slow"] = time.monotonic() - started

    worker = threading.Thread(target=slow_call)
    worker.start()
    time.sleep(0.2)  # the slow call is now being held back
    started = time.monotonic()
    listing.first(fsb, listing.size).send()  # same endpoint, count spent: answered at once
    LISTINGS["x"].first(fsb, 10).send()
    timings["others"] = time.monotonic() - started
    worker.join(timeout=10)
    assert "slow" in timings, "the slow call never finished"
    assert timings["slow"] >= 1.5
    assert timings["others"] < 1.0, "a slow response must not hold back other requests"


def test_slow_trips_a_client_timeout(fsb):
    add_fault(fsb, "slow", "x", count=1, params={"seconds": 2})
    call = LISTINGS["x"].first(fsb, 10)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(call.url, params=call.params, headers=call.headers, timeout=0.5)
    assert call.send()["meta"]["result_count"] == 10  # the retry is answered normally
