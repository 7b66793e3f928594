"""National official gazettes: one module per country, each finding acts citing catalogued acts."""
