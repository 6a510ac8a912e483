"""Test helpers importable from any test module (fixtures live in conftest.py)."""

from tests.conftest import add_fault, fast_settings, replace, sandbox_connection, sandbox_grant

__all__ = ["add_fault", "fast_settings", "replace", "sandbox_connection", "sandbox_grant"]
