"""Quality gates: Great Expectations suites (critical or warning) over every raw stream and mart,
run as one checkpoint per day, recorded in ops.quality_results, shown as offline Data Docs."""
