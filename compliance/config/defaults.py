"""The documented defaults and limits of the settings, apart from config/settings.py and config/schema.py
(which both need them) so that neither imports the other's module to get them."""

# [check] defaults (documented in README).
DEFAULT_HORIZON = 90
# Limits of --horizon, [check] horizon and max_age_days (100 years), and of --as-of: beyond them
# date arithmetic would overflow (year 9999), so they are usage errors (exit 2), not a crash.
MAX_DAYS = 36500
AS_OF_FIRST, AS_OF_LAST = "1900-01-01", "2999-12-31"
DEFAULT_FAIL_ON = "overdue"
DEFAULT_REPORT_CACHE_MB = 1024
