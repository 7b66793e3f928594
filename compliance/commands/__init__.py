"""Subcommands that live in their own modules, loaded only when invoked (see cli.LAZY_COMMANDS)."""
