"""The PostgreSQL warehouse: where it is, starting it when nothing answers, and the objects dbt
does not own (raw tables, load manifest, rejected records, roles) via versioned migrations."""
