"""Built-in rubrics (TOML) and the starter stand-ins they hand to submissions."""
