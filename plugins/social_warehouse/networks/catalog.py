"""Discovers network modules: adding `networks/<name>.py` with a `NETWORK` is all it takes."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from social_warehouse.connector.spec import NetworkSpec
from social_warehouse.errors import ConfigError


@cache
def _all() -> dict[str, NetworkSpec]:
    import social_warehouse.networks as package

    found: dict[str, NetworkSpec] = {}
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_") or info.name == "catalog":
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        spec = getattr(module, "NETWORK", None)
        if isinstance(spec, NetworkSpec):
            if spec.name != info.name:
                raise ConfigError(f"networks/{info.name}.py declares NETWORK.name={spec.name!r}")
            found[spec.name] = spec
    return found


def names() -> list[str]:
    return sorted(_all())


def get(name: str) -> NetworkSpec:
    try:
        return _all()[name]
    except KeyError:
        raise ConfigError(
            f"unknown network {name!r}; known networks: {', '.join(names())}"
        ) from None


def all_specs() -> list[NetworkSpec]:
    return [_all()[n] for n in names()]
