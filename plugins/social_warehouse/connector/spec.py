"""What a network module exports: `NETWORK = NetworkSpec(...)`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from social_warehouse.connector.auth import TokenLifecycle
from social_warehouse.connector.client import ApiClient
from social_warehouse.connector.streams import Stream


@dataclass(frozen=True)
class NetworkSpec:
    name: str
    title: str
    client_class: type[ApiClient]
    streams: tuple[type[Stream], ...]
    defaults: dict[str, Any] = field(default_factory=dict)
    # The shape of this network's account ids (a full-match regex) and how to say it to a person:
    # config/accounts.yml, the CLI and the DAG params are checked against it before any call.
    account_id_pattern: str = r"\d{1,20}"
    account_id_help: str = "digits only"
    # How the network's OAuth tokens are obtained, refreshed and how long they live.
    token_lifecycle: TokenLifecycle | None = None

    def stream(self, name: str) -> type[Stream]:
        for stream in self.streams:
            if stream.name == name:
                return stream
        raise KeyError(f"{self.name} has no stream {name!r}")

    @property
    def stream_names(self) -> list[str]:
        return [s.name for s in self.streams]
