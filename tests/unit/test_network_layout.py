"""A network is one connector module, one sandbox module, one staging folder and config: check
that every network has all of them, so a half-added network fails here with a clear message."""

from __future__ import annotations

import yaml

from social_warehouse import metric_registry, paths
from social_warehouse.config import load_brands, load_network_settings
from social_warehouse.networks import catalog as networks
from social_warehouse.sandbox.server import discover_networks

CONTRACT_MODELS = ("account_metrics", "posts", "post_metrics")


def test_every_connector_has_a_sandbox_and_the_reverse():
    assert set(networks.names()) == set(discover_networks(seed=1))


def test_every_network_has_its_staging_folder_with_the_contract_models():
    staging = paths.dbt_project_dir() / "models" / "staging"
    for network in networks.names():
        folder = staging / network
        assert (folder / f"_{network}__sources.yml").exists(), folder
        assert (folder / f"_{network}__models.yml").exists(), folder
        for model in CONTRACT_MODELS:
            assert (folder / f"stg_{network}__{model}.sql").exists(), (
                f"{folder}: stg_{network}__{model}.sql"
            )


def test_every_network_is_in_the_dbt_networks_var():
    project = yaml.safe_load((paths.dbt_project_dir() / "dbt_project.yml").read_text())
    assert sorted(project["vars"]["networks"]) == networks.names()


def test_every_network_has_registry_rows_accounts_and_valid_settings():
    rows = metric_registry.load()
    configured = {a.network for b in load_brands() for a in b.accounts}
    for network in networks.names():
        assert any(r.network == network for r in rows), f"no metric_registry.csv rows for {network}"
        assert network in configured, f"no {network} accounts in config/accounts.yml"
        settings = load_network_settings(network)
        assert settings.connection_id == f"social_{network}"


def test_registry_rows_name_streams_the_connectors_declare():
    for row in metric_registry.load():
        spec = networks.get(row.network)
        assert row.source in spec.stream_names, (
            f"{row.network}: registry source {row.source!r} is not a stream"
        )


def test_the_files_generated_from_the_catalog_are_current():
    """`make generate` output (dbt networks var, the connectors' registry artefact, the README
    settings table) matches the catalog and the registry seed."""
    from social_warehouse.generate import stale

    assert stale() == [], "run `make generate` and commit the result"
