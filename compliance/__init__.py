"""compliance: tracks EU Member States' transposition of the OC and THB strategy measures."""

__version__ = "0.2.0"
