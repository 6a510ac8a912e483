"""Social Warehouse."""

from social_warehouse import logs

# Before anything logs: no token or password may reach a log line, at any level (see logs.py).
logs.install()
