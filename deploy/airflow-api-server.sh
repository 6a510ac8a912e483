#!/bin/bash
# The compose API server: the simple auth manager's user admin gets AIRFLOW_ADMIN_PASSWORD (from
# .env) in a file readable only by this container's user, written at every start (so changing the
# password in .env and restarting applies it), never baked into the image. Then the API server.
set -euo pipefail
: "${AIRFLOW_ADMIN_PASSWORD:?set AIRFLOW_ADMIN_PASSWORD in .env (the UI login of user admin)}"
: "${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:?the compose file sets it}"
umask 077
python - <<'PY'
import json
import os

with open(os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"], "w") as passwords:
    json.dump({"admin": os.environ["AIRFLOW_ADMIN_PASSWORD"]}, passwords)
PY
exec airflow api-server
