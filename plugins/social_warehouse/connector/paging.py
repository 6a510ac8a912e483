"""Paginators: each knows how to turn one page's answer into the next request, or None when the
API says the listing ended. None means *the end*, never "this page looked empty": an empty page
that still carries a continuation is followed (the networks send those when hidden, deleted or
filtered items fill a page). The loop itself, with its guard against continuations that repeat,
lives in `Stream.pages`."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from social_warehouse.connector.client import Request, redact
from social_warehouse.connector.context import dig

__all__ = [
    "CursorHasMorePaginator",
    "NextUrlPaginator",
    "OffsetPaginator",
    "Paginator",
    "PagingProblem",
    "TokenPaginator",
    "dig",
]


class PagingProblem(ValueError):
    """The answer's paging block is unusable (e.g. `has_more` without a cursor); the stream turns
    it into a PaginationError naming the network and stream."""


class Paginator:
    """Single page: no paging at all."""

    def next_request(self, request: Request, body: Any, page_records: int) -> Request | None:
        return None

    def cursor(self, request: Request) -> str:
        """What identifies this request's position in the listing, for error messages."""
        params = "&".join(f"{k}={v}" for k, v in sorted(request.params.items()))
        return redact(f"{request.url}?{params}" if params else request.url)


@dataclasses.dataclass
class NextUrlPaginator(Paginator):
    """Meta Graph API: follow `paging.next` (a full URL carrying the `after` cursor) until it is
    absent, empty pages included."""

    next_path: str = "paging.next"

    def next_request(self, request: Request, body: Any, page_records: int) -> Request | None:
        nxt = dig(body, self.next_path)
        if not nxt:
            return None
        if not isinstance(nxt, str):
            raise PagingProblem(f"'{self.next_path}' is {type(nxt).__name__}, expected a URL")
        return dataclasses.replace(request, url=nxt, params={})

    def cursor(self, request: Request) -> str:
        query = dict(parse_qsl(urlsplit(request.url).query))
        if "after" in query:
            return f"after={query['after']}"
        return super().cursor(request)


@dataclasses.dataclass
class TokenPaginator(Paginator):
    """A token in the body sent back as a parameter (X `meta.next_token` -> `pagination_token`,
    YouTube `nextPageToken` -> `pageToken`); the listing ends when the token is absent."""

    token_path: str
    param: str

    def next_request(self, request: Request, body: Any, page_records: int) -> Request | None:
        token = dig(body, self.token_path)
        if not token:
            return None
        return dataclasses.replace(request, params={**request.params, self.param: str(token)})

    def cursor(self, request: Request) -> str:
        token = request.params.get(self.param)
        return f"{self.param}={token}" if token is not None else "the first page"


@dataclasses.dataclass
class OffsetPaginator(Paginator):
    """Offset paging (`start`/`count`, `startIndex`/`maxResults`). The end and the next offset
    come from the API: a `next` link (Rest.li `paging.links`, followed to the offset it names),
    else the reported total, else (APIs that send neither) a short page. Without a link the
    offset advances by the page size asked for: filtered items still take their slots, so a page
    may hold fewer items (even none) while more follow."""

    offset_param: str
    size_param: str
    total_path: str | None = None
    links_path: str | None = None
    first_offset: int = 0

    def _at(self, request: Request, offset: int) -> Request:
        return dataclasses.replace(request, params={**request.params, self.offset_param: offset})

    def next_request(self, request: Request, body: Any, page_records: int) -> Request | None:
        size = int(request.params.get(self.size_param, 0) or 0)
        offset = int(request.params.get(self.offset_param, self.first_offset))
        advanced = offset + (size or page_records)
        links = dig(body, self.links_path) if self.links_path else None
        if isinstance(links, list):
            following = next(
                (link for link in links if isinstance(link, dict) and link.get("rel") == "next"),
                None,
            )
            if following is None:
                return None
            query = dict(parse_qsl(urlsplit(str(following.get("href") or "")).query))
            named = str(query.get(self.offset_param, ""))
            return self._at(request, int(named) if named.isdigit() else advanced)
        total = dig(body, self.total_path) if self.total_path else None
        if total is not None:
            if (
                isinstance(total, bool)
                or not isinstance(total, int | str)
                or not str(total).isdigit()
            ):
                raise PagingProblem(f"'{self.total_path}' is {total!r}, expected a count")
            return (
                self._at(request, advanced) if advanced - self.first_offset < int(total) else None
            )
        if page_records == 0 or (size and page_records < size):
            return None
        return self._at(request, advanced)

    def cursor(self, request: Request) -> str:
        return f"{self.offset_param}={request.params.get(self.offset_param, self.first_offset)}"


@dataclasses.dataclass
class CursorHasMorePaginator(Paginator):
    """TikTok: `data.cursor` plus `data.has_more`; the listing ends when has_more is false."""

    cursor_path: str = "data.cursor"
    has_more_path: str = "data.has_more"
    param: str = "cursor"
    in_body: bool = False

    def next_request(self, request: Request, body: Any, page_records: int) -> Request | None:
        if not dig(body, self.has_more_path):
            return None
        cursor = dig(body, self.cursor_path)
        if cursor is None:
            raise PagingProblem(
                f"'{self.has_more_path}' is true but there is no '{self.cursor_path}' to go on with"
            )
        if self.in_body:
            return dataclasses.replace(
                request, json_body={**(request.json_body or {}), self.param: cursor}
            )
        return dataclasses.replace(request, params={**request.params, self.param: cursor})

    def cursor(self, request: Request) -> str:
        source = (request.json_body or {}) if self.in_body else request.params
        value = source.get(self.param) if isinstance(source, dict) else None
        return f"{self.param}={value}" if value is not None else "the first page"
