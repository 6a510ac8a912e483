"""`make docs`: dbt docs as one static HTML file (manifest and catalog inlined) that opens
offline, from the current warehouse."""

from __future__ import annotations

import os
import subprocess
import sys

from social_warehouse import paths
from social_warehouse.orchestration.dbt_env import dbt_env, dbt_executable


def build_docs(url: str | None = None, target_path: str = "target") -> str:
    """`dbt docs generate --static` against the warehouse at `url`; returns the HTML file."""
    project = paths.dbt_project_dir()
    result = subprocess.run(
        [dbt_executable(), "docs", "generate", "--static", "--target-path", target_path],
        cwd=project,
        env={**os.environ, **dbt_env(url)},
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise RuntimeError(
            f"dbt docs generate failed:\n{result.stdout[-3000:]}\n{result.stderr[-2000:]}"
        )
    return str(project / target_path / "static_index.html")


def main() -> int:
    path = build_docs()
    print(f"dbt docs: file://{path} (self-contained, works offline)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
