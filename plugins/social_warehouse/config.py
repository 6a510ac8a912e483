"""`config/accounts.yml` (brands and their network accounts) and `config/networks.yml` (per-network
settings), validated with errors that name the file, the entry and the field."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from social_warehouse import paths
from social_warehouse.errors import ConfigError

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Account:
    brand_id: str
    network: str
    account_id: str
    name: str

    def as_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Brand:
    brand_id: str
    name: str
    accounts: tuple[Account, ...]


@dataclass(frozen=True)
class NetworkSettings:
    """What a connector needs besides credentials. Defaults come from the connector module;
    `config/networks.yml` overrides them."""

    network: str
    connection_id: str
    api_version: str = ""
    timezone: str = "UTC"
    lookback_days: int = 3
    post_lookback_days: int = 28
    pool_slots: int = 2
    page_size: int = 25
    max_retries: int = 5
    backoff_seconds: float = 2.0
    max_wait_seconds: float = 900.0
    timeout_seconds: float = 60.0
    freshness_sla_hours: int = 36
    schedule: str = "0 12 * * *"
    data_lag_days: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def with_overrides(self, **overrides: Any) -> NetworkSettings:
        return dataclasses.replace(self, **overrides)


_SETTING_FIELDS = {f.name for f in dataclasses.fields(NetworkSettings)} - {"network", "extra"}


def _read_yaml(path: Path) -> Any:
    if not path.exists():
        raise ConfigError(f"{path}: file not found")
    try:
        return yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc


def known_networks() -> list[str]:
    from social_warehouse.networks import registry

    return registry.names()


def load_brands(path: Path | None = None, networks: Iterable[str] | None = None) -> list[Brand]:
    """Read and validate the brands file. Raises ConfigError on the first problem found."""
    path = path or paths.config_dir() / "accounts.yml"
    data = _read_yaml(path)
    valid_networks = set(networks if networks is not None else known_networks())
    if not isinstance(data, dict) or not isinstance(data.get("brands"), list):
        raise ConfigError(f"{path}: expected a top-level 'brands:' list")
    brands: list[Brand] = []
    seen_brands: set[str] = set()
    seen_accounts: dict[tuple[str, str], str] = {}
    for index, raw in enumerate(data["brands"]):
        where = f"{path}: brands[{index}]"
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: expected a mapping with id, name and accounts")
        unknown = set(raw) - {"id", "name", "accounts"}
        if unknown:
            raise ConfigError(f"{where}: unknown field(s) {sorted(unknown)}")
        brand_id = str(raw.get("id", ""))
        if not _ID_RE.match(brand_id):
            raise ConfigError(f"{where}: 'id' must be lower_snake_case, got {brand_id!r}")
        if brand_id in seen_brands:
            raise ConfigError(f"{where}: brand id {brand_id!r} appears twice")
        seen_brands.add(brand_id)
        where = f"{path}: brand {brand_id!r}"
        accounts_raw = raw.get("accounts") or {}
        if not isinstance(accounts_raw, dict):
            raise ConfigError(f"{where}: 'accounts' must map network names to lists of accounts")
        accounts: list[Account] = []
        for network, entries in accounts_raw.items():
            if network not in valid_networks:
                raise ConfigError(
                    f"{where}: unknown network {network!r}; known networks: "
                    f"{', '.join(sorted(valid_networks))}"
                )
            if not isinstance(entries, list):
                raise ConfigError(f"{where}: accounts.{network} must be a list")
            for pos, entry in enumerate(entries):
                spot = f"{where}: accounts.{network}[{pos}]"
                if not isinstance(entry, dict) or "id" not in entry:
                    raise ConfigError(f"{spot}: expected a mapping with at least 'id'")
                extra = set(entry) - {"id", "name"}
                if extra:
                    raise ConfigError(f"{spot}: unknown field(s) {sorted(extra)}")
                account_id = str(entry["id"]).strip()
                if not account_id:
                    raise ConfigError(f"{spot}: 'id' is empty")
                key = (network, account_id)
                if key in seen_accounts:
                    raise ConfigError(
                        f"{spot}: {network} account {account_id} is already configured "
                        f"for brand {seen_accounts[key]!r}"
                    )
                seen_accounts[key] = brand_id
                name = str(entry.get("name") or raw.get("name") or account_id)
                accounts.append(Account(brand_id, network, account_id, name))
        brands.append(Brand(brand_id, str(raw.get("name") or brand_id), tuple(accounts)))
    return brands


def accounts_for(network: str, path: Path | None = None) -> list[Account]:
    return [a for b in load_brands(path) for a in b.accounts if a.network == network]


def load_network_settings(network: str, path: Path | None = None) -> NetworkSettings:
    """The connector's defaults, overridden by `config/networks.yml` (`defaults:` then the
    network's own section)."""
    from social_warehouse.networks import registry

    spec = registry.get(network)
    path = path or paths.config_dir() / "networks.yml"
    data = _read_yaml(path) if path.exists() else {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with 'defaults' and 'networks'")
    merged: dict[str, Any] = dict(spec.defaults)
    sections = [("defaults", data.get("defaults") or {})]
    sections.append((f"networks.{network}", (data.get("networks") or {}).get(network) or {}))
    extra: dict[str, Any] = dict(merged.pop("extra", {}))
    for where, section in sections:
        if not isinstance(section, dict):
            raise ConfigError(f"{path}: {where} must be a mapping")
        for key, value in section.items():
            if key in _SETTING_FIELDS:
                merged[key] = value
            elif key in extra and where != "defaults":
                extra[key] = value
            else:
                known = sorted(_SETTING_FIELDS | (set(extra) if where != "defaults" else set()))
                raise ConfigError(
                    f"{path}: {where}.{key} is not a known setting; known: {', '.join(known)}"
                )
    merged.setdefault("connection_id", f"social_{network}")
    try:
        settings = NetworkSettings(network=network, extra=extra, **merged)
    except TypeError as exc:
        raise ConfigError(f"{path}: networks.{network}: {exc}") from exc
    for name in ("lookback_days", "post_lookback_days", "pool_slots", "page_size"):
        value = getattr(settings, name)
        if not isinstance(value, int) or value < 1:
            raise ConfigError(f"{path}: networks.{network}.{name} must be a positive integer")
    return settings
