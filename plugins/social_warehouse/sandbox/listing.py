"""Paged listings as the real APIs serve them, and the faults that bend their paging.

A listing is cut into pages of `size` *slots*. On the real APIs hidden, deleted, private or
filtered items (a hidden Facebook post, a deleted tweet, a private video, a draft on LinkedIn)
still take their slot: a page can come back short, or empty, while its continuation points at
the rest. Every continuation the sandbox sends (Graph cursor, X `next_token`, YouTube
`nextPageToken`, LinkedIn `start`, TikTok `cursor`) therefore addresses slots, not visible items.
Without a fault every slot holds a visible item, so pages are full until the last one.

Two faults reshape a listing. Both apply to every request of the listing for as long as they are
set (`count`/`after` do not apply: a listing must keep one layout across its pages, or the
sandbox itself would lose items), and both follow the page size of each request:

- `empty_page_with_next`: hidden slots are put in front of the items that would have opened the
  chosen pages, so those pages come back empty (or with only `visible` items) while their
  continuation still points at the rest. A client that follows every continuation until the API
  says the end receives exactly the items of a fault-free listing; a client that stops at the
  first empty (or short) page loses the rest.
  params: `pages` (list of page numbers as the client receives them, 0-based, or "first",
  "middle", "last"; default [0]; "last" adds an empty page after the last visible one),
  `visible` (items still shown on those pages, default 0: empty pages).
- `repeat_cursor`: the chosen pages answer with the continuation the client just used (the same
  URL, token, cursor or `start`; for the first page, the continuation of the first page itself),
  so a client that follows blindly requests the same page forever.
  params: `pages` (as above, default [0]; "last" is the last page).

A third fault takes items away for real, with no error: `deleted_items` lists only the first
`keep` items (default 0), as after posts were deleted or an API silently answered less. The
continuations stay consistent, so a correct client sees a shorter listing, not a broken one.

The continuation of each listing, and how an empty page looks:

- Facebook published_posts/posts, Instagram media: `paging.next`, an absolute URL (the request's
  query with `after=<cursor>`, the access token included when it came as a query parameter), and
  `paging.cursors.before/after`. The end: no `paging.next`. An empty page:
  `{"data": [], "paging": {"cursors": {"before", "after"}, "next"[, "previous"]}}`; an empty
  listing is `{"data": []}` alone.
- X user timeline: `meta.next_token`, sent back as `pagination_token`. The end: no next_token.
  An empty page has no `data`: `{"meta": {"result_count": 0, "next_token"[, "previous_token"]}}`.
- LinkedIn posts: `paging.links[]` entry `{"type": "application/json", "rel": "next", "href":
  "/rest/posts?...&start=<start + count>&count=<count>"}`, relative to the API host; `paging`
  also echoes `start` and `count`, and `total` counts hidden posts. The end: no `rel: next` link.
- YouTube playlistItems: `nextPageToken`, sent back as `pageToken`. The end: no nextPageToken.
  `pageInfo.totalResults` counts hidden videos and `snippet.position` is the slot.
- TikTok business/video/list: `data.cursor`, sent back as `cursor` while `data.has_more` is true.
  The end: `has_more` false.
- YouTube Analytics reports have no continuation: the client counts `startIndex` itself and a
  short page (or no `rows`) is the end; only `repeat_cursor` applies there (youtube.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from social_warehouse.sandbox.base import SandboxRequest

EMPTY_PAGE = "empty_page_with_next"
REPEAT_CURSOR = "repeat_cursor"
DELETED_ITEMS = "deleted_items"

T = TypeVar("T")


class _Hidden:
    """A slot taken by an item the caller may not see."""

    def __repr__(self) -> str:
        return "HIDDEN"


HIDDEN = _Hidden()


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]  # the visible items of this page, in listing order
    positions: list[int]  # the slot of each visible item (a playlist item's `position`)
    offset: int  # the first slot of this page: what the request's continuation addressed
    end: int  # the slot after this page
    total: int  # slots in the whole listing, hidden ones included
    repeated: bool  # repeat_cursor: this page hands back the continuation it was asked with

    @property
    def next_offset(self) -> int | None:
        """The slot the continuation addresses, or None at the end of the listing."""
        if self.repeated:
            return self.offset
        return self.end if self.end < self.total else None

    @property
    def has_more(self) -> bool:
        return self.next_offset is not None


def page(items: Sequence[T], offset: int, size: int, request: SandboxRequest) -> Page[T]:
    """The page of `size` slots starting at slot `offset`, with the request's listing faults."""
    offset = max(offset, 0)
    deleted = request.fault(DELETED_ITEMS)
    if deleted is not None:
        items = items[: int(deleted.params.get("keep", 0))]
    empty = request.fault(EMPTY_PAGE)
    slots: list[Any] = list(items)
    if empty is not None and size > 0:
        slots = with_hidden_slots(items, size, empty.params)
    window = slots[offset : offset + max(size, 0)]
    visible = [(offset + i, s) for i, s in enumerate(window) if s is not HIDDEN]
    repeat = request.fault(REPEAT_CURSOR)
    repeated = False
    if repeat is not None and size > 0:
        pages = math.ceil(len(slots) / size)
        wanted = page_numbers(repeat.params.get("pages", [0]), pages)
        repeated = offset // size in wanted
    return Page(
        items=[s for _, s in visible],
        positions=[p for p, _ in visible],
        offset=offset,
        end=offset + len(window),
        total=len(slots),
        repeated=repeated,
    )


def with_hidden_slots(items: Sequence[Any], size: int, params: dict[str, Any]) -> list[Any]:
    """`items` with hidden slots put in so that the pages `params["pages"]` names (numbered as
    the client receives them) show only `params["visible"]` items each."""
    spec = params.get("pages", [0])
    named = spec if isinstance(spec, list) else [spec]
    trailing = "last" in named
    clean_pages = math.ceil(len(items) / size)
    targets = sorted(page_numbers([p for p in named if p != "last"], clean_pages))
    visible = min(max(int(params.get("visible", 0)), 0), size - 1)
    slots: list[Any] = list(items)
    if trailing:  # after every other empty page is in: a new page after the last one
        targets.append(-1)
    for number in targets:
        if number < 0:
            number = math.ceil(len(slots) / size)
        start = number * size
        if len(slots) < start:  # past the end: the hidden items close the last visible page
            slots.extend([HIDDEN] * (start - len(slots)))
        at = min(start + visible, len(slots))
        slots[at:at] = [HIDDEN] * (size - (at - start))
    return slots


def page_numbers(spec: Any, pages: int) -> set[int]:
    """Resolve a `pages` param against a listing of `pages` pages ("last" is the last page;
    `with_hidden_slots` handles its own "last", a page after it)."""
    named = {"first": 0, "middle": pages // 2, "last": max(pages - 1, 0)}
    values = spec if isinstance(spec, list) else [spec]
    return {named[v] if isinstance(v, str) else int(v) for v in values}
