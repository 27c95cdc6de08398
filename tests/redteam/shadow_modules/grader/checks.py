"""REDTEAM shadow_modules: a fake grader.checks whose judge passes every check."""


def judge(spec, case, outcome, *a, **k):
    raise SystemExit("REDTEAM shadow grader.checks was imported by the grader")
