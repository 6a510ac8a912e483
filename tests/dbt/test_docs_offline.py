"""`make docs` produces dbt docs that open offline: one HTML file with the manifest and the
catalog inlined, rendered by headless Chromium with the network blocked."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from social_warehouse import paths
from social_warehouse.docs import build_docs

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)")
def test_dbt_docs_render_offline_with_models_and_definitions(clean_warehouse):
    target = paths.run_dir() / "dbt-target-docs"
    html = Path(build_docs(clean_warehouse, str(target)))
    text = html.read_text()
    assert '"model.social_warehouse.account_daily"' in text, "the manifest is inlined"
    assert "engagement_rate_by_followers" in text, "the catalog's columns are inlined"
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--host-resolver-rules=MAP * ~NOTFOUND",
                "--proxy-server=http://127.0.0.1:9",
                f"--user-data-dir={profile}",
                "--virtual-time-budget=15000",
                "--dump-dom",
                f"{html.as_uri()}#!/model/model.social_warehouse.brand_daily",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
    assert "brand_daily" in dom
    assert "not deduplicated" in dom or "count twice" in dom, "the column docs render offline"


def test_every_model_and_every_column_is_described(clean_warehouse):
    """Descriptions for every model, seed and column that exists in the built warehouse."""
    import json

    import psycopg

    # the manifest of the very build clean_warehouse made
    manifest = json.loads((paths.run_dir() / "dbt-target-quality" / "manifest.json").read_text())
    missing = []
    with psycopg.connect(clean_warehouse) as conn:
        for node in manifest["nodes"].values():
            if node["resource_type"] not in ("model", "seed"):
                continue
            if not node.get("description"):
                missing.append(f"{node['name']}: no description")
            columns = conn.execute(
                """select column_name from information_schema.columns
                   where table_schema = %s and table_name = %s""",
                (node["schema"], node["alias"] or node["name"]),
            ).fetchall()
            assert columns, f"{node['name']} was not built"
            documented = {name for name, c in node["columns"].items() if c.get("description")}
            missing += [f"{node['name']}.{c}" for (c,) in columns if c not in documented]
    assert missing == []
