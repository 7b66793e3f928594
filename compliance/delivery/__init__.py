"""Delivery: what reaches readers without their asking: the digest of a period (digest), sent by mail
or webhook once per period (sending), on a schedule (schedule), Atom feeds of the changes (feed),
and the auditors' export bundles with their evidence and manifest (bundle)."""
