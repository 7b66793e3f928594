"""Reports: the assessments of each Member State assembled from the catalogue, the stored evidence
and the rules (assembly), rendered `check` outputs kept for unchanged evidence (cache), the
scoreboard and its trends over the stored snapshots."""
