"""A Cosmos profile mapping that reads the warehouse URL (`WAREHOUSE_URL` or the Airflow
connection `social_warehouse`) and hands dbt the password through an environment variable, so it
never shows in a rendered template or a profiles.yml on disk."""

from __future__ import annotations

from typing import Any

from cosmos.profiles.base import BaseProfileMapping

from social_warehouse.warehouse import database


class WarehouseProfileMapping(BaseProfileMapping):
    airflow_connection_type: str = "postgres"
    dbt_profile_type: str = "postgres"
    required_fields: list[str] = []
    secret_fields: list[str] = ["password"]

    def __init__(self, schema: str = "analytics", threads: int = 4) -> None:
        super().__init__(
            conn_id=database.AIRFLOW_CONN_ID, profile_args={"schema": schema, "threads": threads}
        )

    @property
    def profile(self) -> dict[str, Any]:
        p = database.parts()
        profile: dict[str, Any] = {
            "type": "postgres",
            "host": p.host,
            "port": p.port,
            "user": p.user,
            "dbname": p.dbname,
            # dbt-postgres requires the key even under trust auth, where it stays empty
            "password": self.get_env_var_format("password"),
            **self.profile_args,
        }
        return profile

    @property
    def mock_profile(self) -> dict[str, Any]:
        return {**self.profile, "password": "mock"}

    @property
    def env_vars(self) -> dict[str, str]:
        p = database.parts()
        return {self.get_env_var_name("password"): p.password}
