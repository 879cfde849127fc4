"""Product metrics for the operator (issue 21): instrumented events, activity days, the
daily rollup, GET /admin/metrics and its page, and the in-app NPS survey."""
