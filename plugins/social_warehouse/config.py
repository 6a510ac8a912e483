"""`config/accounts.yml` (brands and their network accounts) and `config/networks.yml` (per-network
overrides of each connector's defaults), read strictly and validated with errors that name the
file, the entry and the field.

Strict means: a key given twice in one mapping is an error (YAML would silently keep the last,
and an account would disappear), account ids must be quoted strings (YAML turns
17841400000000001 into a number and 17841400000000001.0 into a rounded float), and each id must
have its network's shape (declared once per connector: `NETWORK.account_id_pattern`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from social_warehouse import paths
from social_warehouse.connector.settings import NetworkSettings
from social_warehouse.errors import ConfigError

__all__ = [
    "Account",
    "Brand",
    "NetworkSettings",
    "accounts_for",
    "check_account_id",
    "load_brands",
    "load_network_settings",
    "read_yaml",
]

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_GRANT_RE = re.compile(r"^[A-Za-z0-9_.-]{1,250}$")


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping."""


def _mapping_without_duplicates(loader: StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            first = seen[key].start_mark.line + 1
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"key {key!r} appears twice (first on line {first}): YAML would keep only the "
                "last one; merge the two entries",
                key_node.start_mark,
            )
        seen[key] = key_node
    return loader.construct_mapping(node, deep=True)


StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates
)


def read_yaml(path: Path) -> Any:
    if not path.exists():
        raise ConfigError(f"{path}: file not found")
    try:
        with path.open() as handle:  # a file object: YAML's error marks then name the file
            return yaml.load(handle, Loader=StrictLoader) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc


# --- accounts.yml ------------------------------------------------------------------------------
class AccountEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str | None = None
    grant: str | None = None

    @field_validator("grant")
    @classmethod
    def _connection_id(cls, value: str | None) -> str | None:
        if value is not None and not _GRANT_RE.match(value):
            raise ValueError(
                f"{value!r} is not an Airflow connection id (letters, digits, '_', '-', '.')"
            )
        return value

    @field_validator("id", mode="before")
    @classmethod
    def _quoted_text(cls, value: Any) -> Any:
        if isinstance(value, int | float):  # bool is an int too
            kind = "a float" if isinstance(value, float) else "a number"
            raise ValueError(
                f"must be a quoted string: YAML read {value!r} as {kind}, which can lose digits; "
                f'write id: "<the id exactly as the network shows it>"'
            )
        return value


class BrandEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str | None = None
    accounts: dict[str, list[AccountEntry]] = Field(default_factory=dict)

    @field_validator("id", mode="before")
    @classmethod
    def _snake_case(cls, value: Any) -> Any:
        if not isinstance(value, str) or not _ID_RE.match(value):
            raise ValueError(f"must be lower_snake_case, got {value!r}")
        return value

    @field_validator("accounts", mode="before")
    @classmethod
    def _no_null_lists(cls, value: Any) -> Any:
        return {} if value is None else value


class AccountsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    brands: list[BrandEntry]


class Account(BaseModel):
    model_config = ConfigDict(frozen=True)

    brand_id: str
    network: str
    account_id: str
    name: str
    # the Airflow connection holding the OAuth grant this account is read with
    grant: str

    def as_dict(self) -> dict[str, str]:
        return self.model_dump()


class Brand(BaseModel):
    model_config = ConfigDict(frozen=True)

    brand_id: str
    name: str
    accounts: tuple[Account, ...]


def _where(loc: tuple[Any, ...], data: Any) -> str:
    """`brands[0] ('northwind_coffee').accounts.x[1].id` from a pydantic error location."""
    text, node = "", data
    for step in loc:
        if isinstance(step, int):
            text += f"[{step}]"
            node = node[step] if isinstance(node, list) and step < len(node) else None
            brand = node.get("id") if isinstance(node, dict) and text.count("[") == 1 else None
            if text.startswith("brands[") and isinstance(brand, str):
                text += f" ({brand!r})"
        else:
            text += f".{step}" if text else str(step)
            node = node.get(step) if isinstance(node, dict) else None
    return text


def _validation_error(path: Path, exc: ValidationError, data: Any) -> ConfigError:
    lines = []
    for error in exc.errors():
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        lines.append(f"{path}: {_where(error['loc'], data)}: {message}")
    return ConfigError("\n".join(lines))


def check_account_id(network: str, account_id: str, where: str = "") -> str:
    """The account id if it has its network's shape, else a ConfigError naming the shape."""
    from social_warehouse.networks import catalog

    spec = catalog.get(network)
    if not re.fullmatch(spec.account_id_pattern, account_id):
        prefix = f"{where}: " if where else ""
        raise ConfigError(
            f"{prefix}{account_id!r} is not a {spec.title} account id: expected "
            f"{spec.account_id_help}"
        )
    return account_id


def known_networks() -> list[str]:
    from social_warehouse.networks import catalog

    return catalog.names()


def load_brands(path: Path | None = None, networks: Iterable[str] | None = None) -> list[Brand]:
    """Read and validate the brands file. Raises ConfigError listing every problem found."""
    path = path or paths.config_dir() / "accounts.yml"
    data = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("brands"), list):
        raise ConfigError(f"{path}: expected a top-level 'brands:' list")
    try:
        parsed = AccountsFile.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(path, exc, data) from None
    valid_networks = set(networks if networks is not None else known_networks())
    brands: list[Brand] = []
    seen_brands: set[str] = set()
    seen_accounts: dict[tuple[str, str], str] = {}
    problems: list[str] = []
    defaults: dict[str, str] = {}
    for index, raw in enumerate(parsed.brands):
        where = f"{path}: brands[{index}] ({raw.id!r})"
        if raw.id in seen_brands:
            problems.append(f"{where}: brand id {raw.id!r} appears twice")
        seen_brands.add(raw.id)
        accounts: list[Account] = []
        for network, entries in raw.accounts.items():
            if network not in valid_networks:
                problems.append(
                    f"{where}.accounts: unknown network {network!r}; known networks: "
                    f"{', '.join(sorted(valid_networks))}"
                )
                continue
            if network not in defaults:
                defaults[network] = default_grant(network)
            for pos, entry in enumerate(entries):
                spot = f"{where}.accounts.{network}[{pos}].id"
                try:
                    check_account_id(network, entry.id, spot)
                except ConfigError as exc:
                    problems.append(str(exc))
                    continue
                key = (network, entry.id)
                if key in seen_accounts:
                    problems.append(
                        f"{spot}: {network} account {entry.id} is already configured "
                        f"for brand {seen_accounts[key]!r}"
                    )
                    continue
                seen_accounts[key] = raw.id
                name = entry.name or raw.name or entry.id
                accounts.append(
                    Account(
                        brand_id=raw.id,
                        network=network,
                        account_id=entry.id,
                        name=name,
                        grant=entry.grant or defaults[network],
                    )
                )
        brands.append(Brand(brand_id=raw.id, name=raw.name or raw.id, accounts=tuple(accounts)))
    if problems:
        raise ConfigError("\n".join(problems))
    return brands


def default_grant(network: str) -> str:
    """The connection an account without `grant:` uses: its network's `connection_id`."""
    return load_network_settings(network).connection_id


def find_account(network: str, account_id: str, path: Path | None = None) -> Account | None:
    return next((a for a in accounts_for(network, path) if a.account_id == account_id), None)


def accounts_for(network: str, path: Path | None = None) -> list[Account]:
    return [a for b in load_brands(path) for a in b.accounts if a.network == network]


# --- networks.yml ------------------------------------------------------------------------------
_SETTING_FIELDS = set(NetworkSettings.model_fields) - {"network", "extra"}


def load_network_settings(network: str, path: Path | None = None) -> NetworkSettings:
    """The connector's defaults, overridden by `config/networks.yml` (`defaults:` for every
    network, then the network's own section, which may also set the connector's `extra`
    options by name)."""
    from social_warehouse.networks import catalog

    spec = catalog.get(network)
    path = path or paths.config_dir() / "networks.yml"
    data = read_yaml(path) if path.exists() else {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with 'defaults' and 'networks'")
    unknown_top = set(data) - {"defaults", "networks"}
    if unknown_top:
        raise ConfigError(f"{path}: unknown section(s) {sorted(unknown_top)}")
    networks_section = data.get("networks") or {}
    if not isinstance(networks_section, dict):
        raise ConfigError(f"{path}: 'networks' must map network names to settings")
    unknown_networks = set(networks_section) - set(catalog.names())
    if unknown_networks:
        raise ConfigError(
            f"{path}: networks.{sorted(unknown_networks)[0]} is not a known network; known: "
            f"{', '.join(catalog.names())}"
        )
    merged: dict[str, Any] = {k: v for k, v in spec.defaults.items() if k != "extra"}
    extra: dict[str, Any] = dict(spec.defaults.get("extra", {}))
    sections = [("defaults", data.get("defaults") or {})]
    sections.append((f"networks.{network}", networks_section.get(network) or {}))
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
        return NetworkSettings(network=network, extra=extra, **merged)
    except ValidationError as exc:
        lines = [
            f"{path}: networks.{network}.{'.'.join(map(str, e['loc']))}: "
            f"{e['msg'].removeprefix('Value error, ')} (got {e.get('input')!r})"
            for e in exc.errors()
        ]
        raise ConfigError("\n".join(lines)) from None
