"""Paginators: each knows how to turn one page's answer into the next request, or None."""

from __future__ import annotations

import dataclasses
from typing import Any

from social_warehouse.connector.client import Request


def dig(data: Any, path: str) -> Any:
    """Follow a dotted path through nested dicts; None when any step is missing."""
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


class Paginator:
    """Single page: no paging at all."""

    def next_request(self, request: Request, body: Any, page_records: int) -> Request | None:
        return None


@dataclasses.dataclass
class NextUrlPaginator(Paginator):
    """Meta Graph API: follow `paging.next` (a full URL carrying the `after` cursor); stop when it
    is absent or the page is empty (an empty page can still carry `next`)."""

    next_path: str = "paging.next"

    def next_request(self, request: Request, body: Any, page_records: int) -> Request | None:
        nxt = dig(body, self.next_path)
        if not nxt or page_records == 0:
            return None
        return dataclasses.replace(request, url=nxt, params={})


@dataclasses.dataclass
class TokenPaginator(Paginator):
    """A token in the body sent back as a parameter (X `meta.next_token` -> `pagination_token`)."""

    token_path: str
    param: str

    def next_request(self, request: Request, body: Any, page_records: int) -> Request | None:
        token = dig(body, self.token_path)
        if not token:
            return None
        return dataclasses.replace(request, params={**request.params, self.param: token})


@dataclasses.dataclass
class OffsetPaginator(Paginator):
    """Offset paging (`start`/`count`, `startIndex`/`maxResults`): advance by the page size until a
    short page or the reported total."""

    offset_param: str
    size_param: str
    total_path: str | None = None
    first_offset: int = 0

    def next_request(self, request: Request, body: Any, page_records: int) -> Request | None:
        size = int(request.params.get(self.size_param, 0) or 0)
        offset = int(request.params.get(self.offset_param, self.first_offset))
        nxt = offset + page_records
        total = dig(body, self.total_path) if self.total_path else None
        if page_records == 0 or (size and page_records < size):
            return None
        if total is not None and nxt - self.first_offset >= int(total):
            return None
        return dataclasses.replace(request, params={**request.params, self.offset_param: nxt})


@dataclasses.dataclass
class CursorHasMorePaginator(Paginator):
    """TikTok: `data.cursor` plus `data.has_more`."""

    cursor_path: str = "data.cursor"
    has_more_path: str = "data.has_more"
    param: str = "cursor"
    in_body: bool = False

    def next_request(self, request: Request, body: Any, page_records: int) -> Request | None:
        if not dig(body, self.has_more_path):
            return None
        cursor = dig(body, self.cursor_path)
        if cursor is None:
            return None
        if self.in_body:
            return dataclasses.replace(
                request, json_body={**(request.json_body or {}), self.param: cursor}
            )
        return dataclasses.replace(request, params={**request.params, self.param: cursor})
