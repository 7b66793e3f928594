"""The scheduled jobs under the names APScheduler's job store keeps in users' databases.

A job is stored with a textual reference to its function ("compliance.scheduler:refresh_job",
delivery/schedule.JOB_FUNCTIONS); the jobs live in delivery/schedule.py since the delivery package
was made, and this module keeps the stored references resolving. It is not a place for code.
"""

from .delivery.schedule import digest_job, refresh_job

__all__ = ["digest_job", "refresh_job"]
