"""Written questions: derivations checked by evaluating them on random instances.

A student's answer (LaTeX or plain text) is parsed with a grammar (``grammar.lark``, lark's
LALR parser) into an expression tree; every line is evaluated with numpy on instances the
grader draws from a seed and compared with the reference quantity.  One stage per module:

    parse.py     text -> Document (chains of steps; tree.py's frozen dataclasses)
    show.py      tree -> plain text (terminal) and MathML (report.html): how it was read
    evaluate.py  tree + instance -> value (names checked first; shapes as in linear algebra)
    judge.py     answer + question -> CheckResult with WrittenFeedback (verdicts, named mistakes)
    answers.py   Submission -> the answer to each written question (written.md/.tex, notebook cells)
    spec.py      the rubric's [written] part -> WrittenPart (called by rubric.py)
    grading.py   a whole submission's written questions, for pipeline.py and ``check --written``

Imports are lazy here: ``grader check --written`` loads only what it needs.
"""
