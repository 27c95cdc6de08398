"""REDTEAM shadow_modules: a fake `grader` package that passes everything."""
PASS = True
