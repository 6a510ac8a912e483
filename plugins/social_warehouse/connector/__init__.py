"""The connector toolkit every network module builds on: one client per network (auth, paging,
retry, rate limits) and small declarative stream classes with pure parse functions."""
