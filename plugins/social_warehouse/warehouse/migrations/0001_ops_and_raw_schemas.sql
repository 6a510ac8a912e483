-- Operational tables live in `ops`; untouched API records in `raw`. dbt owns every other schema.
create schema raw;

comment on schema raw is 'Untouched API records, one table per network and stream (network__stream).';
comment on schema ops is 'Load manifest, rejected records, migrations and quality results.';
