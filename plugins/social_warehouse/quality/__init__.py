"""Quality gates: Great Expectations suites run as one checkpoint per day, with severities."""
