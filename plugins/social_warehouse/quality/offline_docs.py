"""Make the GX Data Docs site work offline: copy the vendored CSS/JS (expectations/vendor) into
the site and point every page's CDN references at the local copies."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from social_warehouse import paths

# (pattern of a CDN URL the GX templates use, the vendored file that replaces it)
CDNJS = r"https://cdnjs\.cloudflare\.com/ajax/libs/"
BOOTSTRAP_TABLE = r"https://unpkg\.com/bootstrap-table@[\d.]+/dist/"
FILTER_CONTROL = BOOTSTRAP_TABLE + r"extensions/filter-control/bootstrap-table-filter-control"

# (pattern of a CDN URL the GX templates use, the vendored file that replaces it)
REPLACEMENTS: list[tuple[str, str]] = [
    (
        r"https://maxcdn\.bootstrapcdn\.com/bootstrap/[\d.]+/css/bootstrap\.min\.css",
        "css/bootstrap.min.css",
    ),
    (
        r"https://stackpath\.bootstrapcdn\.com/bootstrap/[\d.]+/js/bootstrap\.min\.js",
        "js/bootstrap.min.js",
    ),
    (
        r"https://cdn\.jsdelivr\.net/npm/@forevolve/bootstrap-dark@[\d.]+/dist/css/"
        r"bootstrap-prefers-dark\.css",
        "css/bootstrap-prefers-dark.min.css",
    ),
    (
        CDNJS + r"bootstrap-datepicker/[\d.]+/css/bootstrap-datepicker\.min\.css",
        "css/bootstrap-datepicker.min.css",
    ),
    (
        CDNJS + r"bootstrap-datepicker/[\d.]+/js/bootstrap-datepicker\.min\.js",
        "js/bootstrap-datepicker.min.js",
    ),
    (CDNJS + r"font-awesome/[\d.]+/css/all\.min\.css", "css/fontawesome-all.min.css"),
    (FILTER_CONTROL + r"(?:\.min)?\.css", "css/bootstrap-table-filter-control.min.css"),
    (FILTER_CONTROL + r"(?:\.min)?\.js", "js/bootstrap-table-filter-control.min.js"),
    (BOOTSTRAP_TABLE + r"bootstrap-table\.min\.css", "css/bootstrap-table.min.css"),
    (BOOTSTRAP_TABLE + r"bootstrap-table\.min\.js", "js/bootstrap-table.min.js"),
    (CDNJS + r"popper\.js/[\d.]+/umd/popper\.min\.js", "js/popper.min.js"),
    (r"https://code\.jquery\.com/jquery-[\d.]+\.min\.js", "js/jquery.min.js"),
    (r"https://cdn\.jsdelivr\.net/npm/vega@\d+", "js/vega.min.js"),
    (r"https://cdn\.jsdelivr\.net/npm/vega-lite@\d+", "js/vega-lite.min.js"),
    (r"https://cdn\.jsdelivr\.net/npm/vega-embed@\d+", "js/vega-embed.min.js"),
]
LOGO = re.compile(r"https://great-expectations-web-assets\.s3[^\"']*/logo-long\.png[^\"']*")
# Resources a page loads (not plain links): src=..., and href=... of <link> tags.
EXTERNAL_RESOURCE = re.compile(
    r"""(?:src=["']https?://[^"']+|<link[^>]+href=["']https?://[^"']+)"""
)


def vendor_dir() -> Path:
    return paths.expectations_dir() / "vendor"


def make_offline(site: Path) -> list[str]:
    """Rewrite every page of `site`; return the external resources still referenced (empty when
    the site is fully offline)."""
    target = site / "static" / "vendor"
    shutil.copytree(vendor_dir(), target, dirs_exist_ok=True)
    leftovers: set[str] = set()
    for page in site.rglob("*.html"):
        text = page.read_text()
        prefix = os.path.relpath(site / "static", page.parent)
        for pattern, local in REPLACEMENTS:
            text = re.sub(pattern, f"{prefix}/vendor/{local}", text)
        text = LOGO.sub(f"{prefix}/images/logo-long.png", text)
        page.write_text(text)
        leftovers.update(EXTERNAL_RESOURCE.findall(text))
    return sorted(leftovers)
