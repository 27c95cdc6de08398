"""REDTEAM shadow_modules: a fake struct module."""
raise SystemExit("REDTEAM shadow struct was imported")
