"""Settings: from compliance.toml, COMPLIANCE_* environment variables and flags (settings), the
validated shape of the file (schema, pydantic: imported only when there is a file to read), and
the documented defaults and limits both use (defaults)."""
