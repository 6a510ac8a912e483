"""The Data Docs open fully offline: in headless Chromium with every network request blocked, a
validation page is styled and its result tables are filled; the stock page (CDN links) is not."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image

from social_warehouse.quality.gate import run_gate
from social_warehouse.quality.offline_docs import make_offline
from tests.conftest import CLEAN_DAY

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
OFFLINE_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1100",
    "--virtual-time-budget=8000",
    # the network is off: every host resolves to nothing and any proxy use fails
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=http://127.0.0.1:9",
]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)"
)


def chromium(page: Path, *args: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [CHROMIUM, *OFFLINE_FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
        )
    return result.stdout


def colours(png: Path) -> int:
    image = Image.open(png).convert("RGB").resize((350, 275))
    return len(image.getcolors(maxcolors=350 * 275))


def stock_copy(page: Path) -> Path:
    """The page as GX writes it: its CSS and JavaScript on an external host (here blocked)."""
    text = re.sub(
        r'(["\'])[./]*static/vendor/', r"\1https://cdn.jsdelivr.net/npm/", page.read_text()
    )
    copy = page.with_name("stock_" + page.name)
    copy.write_text(text)
    return copy


def test_data_docs_render_styled_with_their_results_while_offline(clean_warehouse, tmp_path):
    gate = run_gate([CLEAN_DAY], "docs-offline-check", url=clean_warehouse, raise_on_critical=False)
    site = gate.docs_index.parent
    assert make_offline(site) == [], "a page still loads something from the internet"
    page = next(p for p in sorted((site / "validations").rglob("*.html")) if "marts" in str(p))

    dom = chromium(page, "--dump-dom")
    assert 'data-index="0"' in dom, "the result tables must be filled by bootstrap-table offline"
    assert "expect_column_values_to_be_between" in dom or "values must be" in dom

    stock = stock_copy(page)
    try:
        stock_dom = chromium(stock, "--dump-dom")
        stock_shot = tmp_path / "stock.png"
        chromium(stock, f"--screenshot={stock_shot}")
    finally:
        stock.unlink()
    assert 'data-index="0"' not in stock_dom, (
        "the stock page should stay empty offline (CDN blocked)"
    )

    shot = tmp_path / "offline.png"
    chromium(page, f"--screenshot={shot}")
    assert colours(shot) > colours(stock_shot) * 1.5, "the vendored CSS must style the page"
    keep = Path(__file__).parents[2] / ".run" / "data_docs_offline.png"
    shutil.copy(shot, keep)
