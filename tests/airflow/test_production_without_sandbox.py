"""The production image leaves the sandbox out (Dockerfile target `production`): nothing a
production process runs may import it — the DAG files and everything a task calls."""

from __future__ import annotations

import subprocess
import sys

from social_warehouse import paths

PROBE = """
import sys, runpy, pathlib
dags = pathlib.Path(sys.argv[1])
for path in sorted(dags.glob("*.py")):
    runpy.run_path(str(path))
import social_warehouse.extract, social_warehouse.grants, social_warehouse.grants_health
import social_warehouse.quality.gate, social_warehouse.loader, social_warehouse.onboarding
loaded = sorted(m for m in sys.modules if m.startswith("social_warehouse.sandbox"))
print("SANDBOX:" + ",".join(loaded))
"""


def test_dags_and_task_code_never_import_the_sandbox():
    root = paths.project_root()
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(root / "dags")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=root,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(x for x in result.stdout.splitlines() if x.startswith("SANDBOX:"))
    assert line == "SANDBOX:", f"production code imported {line[8:]}"
