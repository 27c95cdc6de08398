"""Collection guard: the student code under tests/ is data for the sandbox, never imported by pytest."""

# tests/redteam holds hostile submissions (they kill processes, fill disks, leave daemons) and
# tests/submissions holds student code with top-level statements: importing either in the test
# process would run it unsandboxed. pyproject.toml ignores them too; this guard stays if the
# command line's options change.
collect_ignore_glob = ["redteam/*", "submissions/*"]
