"""Tests of grader.render and grader.terminal: what students and TAs see, and that nothing a student wrote runs."""

from __future__ import annotations

import base64
import doctest
import gc
import hashlib
import importlib.resources
import io
import json
import random
import re
import shutil
import subprocess
import tracemalloc
import weakref
from dataclasses import replace
from html.parser import HTMLParser

import factories as f
import summary_oneshot
import jinja2
import pytest

from grader import render, terminal
from grader.model import CanvasInfo, CheckResult, Consistency, Element, ErrorInfo, Frame, LoadReport, Mismatch, Regrade, SubmissionResult, UnitError


class Page(HTMLParser):
    """What a browser would build from an HTML document: tags, attributes, text, scripts."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.chunks: list[str] = []
        self.scripts: list[str] = []
        self._stack: list[str] = []
        self.feed(html)
        self.close()

    #: Elements that a browser lays out apart from their neighbours (innerText separates them).
    BLOCKS = {"p", "div", "li", "ul", "td", "th", "tr", "table", "pre", "section", "details", "summary",
              "h1", "h2", "h3", "dt", "dd", "dl", "br", "header", "footer", "figure", "figcaption", "title"}

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in self.BLOCKS:
            self.chunks.append(" ")
        if tag not in ("meta", "br", "input", "img", "link", "rect"):
            self._stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self.chunks.append(" ")
        while self._stack:
            if self._stack.pop() == tag:
                break

    def handle_data(self, data):
        inside = self._stack[-1] if self._stack else ""
        if inside == "script":
            self.scripts.append(data)
        elif inside != "style":
            self.chunks.append(data)

    @property
    def text(self) -> str:
        """The visible text, whitespace collapsed."""
        return re.sub(r"\s+", " ", "".join(self.chunks)).strip()

    def named(self, tag: str) -> list[dict[str, str | None]]:
        """Return the attributes of every element with this tag."""
        return [a for t, a in self.tags if t == tag]


def section(html: str, anchor: str) -> Page:
    """Return the parsed element whose id is ``anchor`` (a <details> or <section>)."""
    start = html.index(f'id="{anchor}"')
    start = html.rindex("<", 0, start)
    tag = re.match(r"<(\w+)", html[start:]).group(1)
    depth, i = 0, start
    for m in re.finditer(rf"<(/?){tag}\b", html[start:]):
        depth += -1 if m.group(1) else 1
        if depth == 0:
            i = start + m.end()
            break
    return Page(html[start : html.index(">", i) + 1])


def assert_inert(page: Page, *, scripts_allowed: int = 0) -> None:
    """Assert that nothing in the page can run: no foreign script, no event handler, no script URL."""
    assert len(page.named("script")) == scripts_allowed
    for tag, attrs in page.tags:
        assert tag not in ("img", "iframe", "object", "embed", "link", "base", "form"), tag
        for name, value in attrs.items():
            assert not name.lower().startswith("on"), (tag, name, value)
            if name in ("href", "src", "action", "xlink:href"):
                assert not re.match(r"\s*(javascript|data|vbscript):", value or "", re.I), (tag, name, value)


# --------------------------------------------------------------------------- report.html


def test_report_header_and_question_table():
    page = Page(render.report(f.mixed(), rubric_title="Word2vec softmax"))
    text = page.text
    assert "Feedback for bob" in text
    assert "4.75 / 10" in text
    assert "Word2vec softmax" in text
    assert "graded, late" in text
    assert "bubblewrap sandbox" in text
    assert "grader 0.1.0" in text
    assert "5 of 11 checks passed, 6 failed" in text
    table = section(render.report(f.mixed()), "questions").text
    assert "Softmax softmax 2 / 5 1 / 2.5" in table
    assert "Gradient with respect to the output vectors grad_output 0 / 2 0 / 2.5" in table
    assert "Total 5 / 11 4.75 / 10" in table


def test_a_full_total_made_of_extra_credit_says_so_under_the_score():
    """CS224n 2017: softmax lost 3 points, CBOW's extra credit gave 3: "48 / 48" and a full bar
    must not read as full marks."""
    lost = f.question("softmax", [f.failed("softmax/matrix", 3.0), f.passed("softmax/vector", 1.0)])
    cbow = replace(f.question("cbow_cost", [f.passed("cbow_cost/small", 3.0)]), extra=True)
    r = f.result("lou", [lost, cbow], max_score=4.0)
    assert (r.score, r.max_score) == (4.0, 4.0)
    header = Page(render.report(r).split("</header>")[0]).text
    assert "4 / 4 including 3 points of extra credit; 3 lost elsewhere" in header
    assert "extra credit" not in Page(render.report(f.all_pass()).split("</header>")[0]).text


def test_report_title_defaults_to_rubric_name():
    assert "word2vec-softmax: feedback for alice" in Page(render.report(f.all_pass())).text


def test_failed_check_shows_the_style_md_explanation():
    html = render.report(f.mixed())
    check = section(html, "check-softmax-rows-2x3")
    text = check.text
    assert "fail softmax/rows-2x3 0 / 0.5" in text
    assert "Not within tolerance (rtol=1e-05, atol=1e-08) of the expected values." in text
    assert "Case: 2 rows of 3 scores" in text
    assert "Mismatched elements: 2 / 6 (33.3%)" in text
    assert "index got expected allowed ± (0, 2) 0.69 0.7 7.0e-06 (1, 0) 0.31 0.3 3.0e-06" in text
    assert "Max absolute difference among mismatches: 0.01" in text
    assert "Max relative difference among mismatches: 0.0333 (relative to expected)" in text
    assert "Likely mistake: each row must sum to 1; yours is normalised over columns." in text
    assert "open" in check.named("details")[0]  # failures are open
    hint_boxes = [a for a in check.named("div") if "hint" in (a.get("class") or "")]
    assert len(hint_boxes) == 1


def test_got_and_expected_shape_and_dtype_are_shown_and_differences_marked():
    html = render.report(f.mixed())
    text = section(html, "check-grad_output-large-vocab").text
    assert "type dtype shape got ndarray float64 (50, 5000) expected ndarray float64 (5000, 50)" in text
    assert "Likely mistake: your gradient is transposed" in text
    # the shape summary is in the message already: not repeated
    assert text.count("(50, 5000)") == 2
    block = html[html.index('id="check-grad_output-large-vocab"') :]
    assert '<td class="differs">(50, 5000)</td>' in block[: block.index("</details>")]


def test_passing_check_is_collapsed_and_has_no_mismatch():
    html = render.report(f.mixed())
    check = section(html, "check-softmax-rows-1d")
    assert "open" not in check.named("details")[0]
    assert "Mismatched" not in check.text


def test_notes_of_a_check_are_shown():
    text = section(render.report(f.mixed()), "check-grad_pred-large-vocab").text
    assert "Note: shape (1, 50) accepted as (50,)" in text


def test_a_packages_stand_ins_are_said_in_one_note_as_result_json_says_them():
    """The load's notes of a package's stand-ins, merged into one by grader.score, are not said
    again one module at a time beside that note (a CS224d 2016 folder without cs224d/)."""
    said = ["'cs224d' was not in the submission; the supplied stand-in was used",
            "'cs224d.data_utils' was not in the submission; the supplied stand-in was used"]
    merged = "'cs224d' (and cs224d.data_utils) was not in the submission; the supplied stand-ins were used"
    r = replace(f.all_pass(), notes=(merged,), load=LoadReport(notes=tuple(said)))
    text = Page(render.report(r)).text
    assert text.count("was not in the submission") == 1
    assert merged in text


def test_a_written_answers_verdict_is_said_once_above_its_lines():
    """The check's message is shown just above the answer as read: a one-line answer's line
    does not say the same message again (a line of a longer derivation keeps its own)."""
    from grader.model import WrittenFeedback, WrittenLine

    wrong = ("does not equal ∂J/∂u_o: on instance 1 (|V| = 5, d = 3, o = 0), ∂J/∂u_o is [-0.881, -1.61], "
             "this line gives [0.0102, 0.0186]")
    message = ("Wrong (written.tex): your answer does not equal ∂J/∂u_o: on instance 1 (|V| = 5, d = 3, o = 0), "
               "∂J/∂u_o is [-0.881, -1.61], your answer gives [0.0102, 0.0186].")
    other = "does not follow from line 1: on instance 2 it gives [7.5]"
    w = WrittenFeedback(lines=(WrittenLine(1, r"\hat y_o v_c", "ŷ_o v_c", "", "wrong", wrong),
                               WrittenLine(2, "v_c", "v_c", "", "wrong", other)), first_wrong=1)
    c = replace(f.failed("written/grad_outside_o/answer"), message=message, written=w, mismatch=None)
    text = Page(render.report(f.result("x", [f.question("written/grad_outside_o", [c])]))).text
    assert text.count("[-0.881, -1.61]") == 2  # the check's line in "What did not pass", and its own
    assert "wrong: " + other in text


def test_a_written_line_that_was_read_but_not_evaluated_is_not_said_unreadable():
    """A line whose reading is shown (a product whose shapes do not fit) could not be
    evaluated; one that did not parse (an unbalanced brace) could not be read."""
    from grader.model import WrittenFeedback, WrittenLine

    shapes = WrittenLine(2, r"U^\top(\hat y - y)", "Uᵀ(ŷ - y)", "<math><mi>U</mi></math>", "error", "the shapes do not fit")
    brace = WrittenLine(3, r"\frac{1}{", "", "", "error", "unbalanced '{'")
    c = replace(f.failed("written/grad_center/answer"), message="Your answer could not be evaluated.",
                written=WrittenFeedback(lines=(shapes, brace)), mismatch=None)
    page = Page(render.report(f.result("x", [f.question("written/grad_center", [c])])))
    assert "could not be evaluated: the shapes do not fit" in page.text
    assert "could not be read: unbalanced '{'" in page.text
    assert "could not be read: the shapes" not in page.text


def test_the_files_translated_from_python_2_are_said_in_one_note():
    # a CS224d 2016 folder of five Python 2 files: five notes alike, one per file, were one under another
    files = [("q1_softmax.py", "print statements"), ("q2_sigmoid.py", "print statements"),
             ("q3_sgd.py", "Python 2 module names, xrange"), ("q3_word2vec.py", "print statements")]
    notes = tuple(f"{p} was Python 2 code; it was translated to Python 3 ({what}) before grading." for p, what in files)
    text = section(render.report(replace(f.all_pass(), notes=notes + ("other",))), "notes").text
    assert text.count("was Python 2 code") + text.count("were Python 2 code") == 1
    assert ("q1_softmax.py, q2_sigmoid.py and q3_word2vec.py (print statements), q3_sgd.py (Python 2 module names, "
            "xrange) were Python 2 code; they were translated to Python 3 before grading.") in text
    assert "other" in text


def test_the_terminal_says_the_files_translated_from_python_2_in_one_note_as_the_report_does():
    from grader.terminal import terminal

    files = [("q1_softmax.py", "print statements"), ("q3_sgd.py", "xrange"), ("q3_word2vec.py", "print statements")]
    notes = tuple(f"{p} was Python 2 code; it was translated to Python 3 ({what}) before grading." for p, what in files)
    text = terminal(replace(f.all_pass(), notes=notes + ("other",)), color=False)
    assert text.count("Python 2 code") == 1, text
    assert ("Note: q1_softmax.py and q3_word2vec.py (print statements), q3_sgd.py (xrange) were Python 2 code; they "
            "were translated to Python 3 before grading.\nNote: other\n") in text


def test_heat_map_is_inline_svg_with_one_square_per_cell():
    html = render.report(f.mixed())
    check = section(html, "check-grad_output-small")
    svgs = check.named("svg")
    assert len(svgs) == 1
    rects = check.named("rect")
    assert len(rects) == 25
    fills = [r["fill"] for r in rects]
    assert fills[0] == render.heat_color(1.0) == "#b91c1c"  # column 0 entirely wrong
    assert fills[1] == render.heat_color(0.0) == "#f3f4f6"
    assert "block (0, 0): 100% of its elements differ" in check.text
    assert "block (1, 1): 50% of its elements differ" in check.text
    assert "Where your values differ" in check.text
    # no heat map for a scalar cost
    assert section(html, "check-cross_entropy-small").named("svg") == []


def test_hidden_check_shows_only_status_points_and_message():
    html = render.report(f.mixed())
    assert "SECRET" not in html  # case, output, hint, summary, worst values of the hidden check
    assert "12345" not in html and "123.456" not in html and "654.321" not in html
    text = section(html, "check-softmax-hidden-mixed").text
    assert text == (
        "fail softmax/hidden-mixed hidden 0 / 0.5 Not within tolerance (rtol=1e-05, atol=1e-08) of the "
        "expected values. This is a hidden check: its inputs, values and output are not shown."
    )


def test_printed_output_is_collapsed_and_capped():
    html = render.report(f.mixed())
    check = section(html, "check-softmax-rows-2x3")
    outputs = [a for a in check.named("details") if "output" in (a.get("class") or "")]
    assert len(outputs) == 1 and "open" not in outputs[0]
    assert "What your code printed during this check (72 characters)" in check.text
    assert "debug: x.shape = (2, 3)" in check.text
    code = section(html, "code").text
    assert "What your code printed while it was loaded (5019 characters)" in code
    assert f"… {5019 - render.LOAD_OUTPUT_CHARS} more characters not shown; run your code yourself to see all of it." in code
    assert "x" * render.LOAD_OUTPUT_CHARS not in code.replace("Testing softmax... ", "")[render.LOAD_OUTPUT_CHARS :]


def test_your_code_names_the_students_functions_not_the_rubrics_roles():
    # an a2 report listed "cost_and_grad word2vec.naiveSoftmaxLossAndGradient": the role is the
    # rubric's word (and CS224d's "cost"), the student knows the function and its file
    load = LoadReport(functions={"cost_and_grad": "word2vec.naiveSoftmaxLossAndGradient", "negsamp":
                                 "word2vec.negSamplingLossAndGradient", "sgd": "sgd.sgd"}, output="hi")
    code = section(render.report(replace(f.all_pass(), load=load)), "code").text
    assert "cost_and_grad" not in code and "negsamp " not in code
    assert "naiveSoftmaxLossAndGradient word2vec" in code and "sgd sgd" in code


def test_errors_show_the_student_traceback_and_load_problems():
    html = render.report(f.errors())
    text = section(html, "check-softmax-rows-1d").text
    assert "error softmax/rows-1d 0 / 0.5 softmax still raises NotImplementedError (q1_softmax.py, line 21)" in text
    assert 'File "q1_softmax.py", line 21, in softmax raise NotImplementedError NotImplementedError' in text
    timeout = section(html, "check-softmax-stable-large")
    assert "did not return within 2 s" in timeout.text
    assert timeout.named("pre") == []  # no traceback to show: the message says it all
    missing = section(html, "check-grad_pred-small").text
    assert "Did you mean 'softmaxCostAndGrad'?" in missing
    loading = section(html, "loading").text
    assert "hw1.ipynb, cell [3]: SyntaxError: invalid syntax (hw1.ipynb, cell [3], line 2)" in loading
    assert "print 'loss', loss" in loading
    assert "skipped `%matplotlib inline` in cell [1]" not in loading  # said once, in the notes
    notes = section(html, "notes").text
    assert notes.count("skipped `%matplotlib inline` in cell [1]") == 1


def test_submission_error_says_it_could_not_be_graded():
    html = render.report(f.submission_error())
    page = Page(html)
    assert "This submission could not be graded could not read dave.zip: File is not a zip file" in page.text
    assert 'id="questions"' not in html
    assert "0 / 10" in page.text


def test_a_submission_that_could_not_be_graded_says_why_once(tmp_path):
    # as `grader grade` writes it: every check of the rubric failed with the submission's one error
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "dave.txt").write_text("my answers are in the PDF\n")
    from grader.cli import main

    assert main(["grade", str(subs), "--out", str(tmp_path / "out"), "--rubric", "word2vec", "--no-progress"],
                out=io.StringIO(), err=io.StringIO()) == 0  # every submission got a result
    html = (tmp_path / "out" / "dave" / "report.html").read_text(encoding="utf-8")
    page = Page(html)
    assert page.text.count("dave.txt holds no Python code") == 1, page.text
    assert "What did not pass" not in page.text and "Ran in" not in page.text
    assert "Softmax softmax 0 / 12 0 / 6" in page.text  # the questions, at 0, without links to sections that are not there
    assert not [a for a in page.named("a") if (a.get("href") or "").startswith("#q-")]


def test_checks_failing_with_the_first_ones_words_do_not_repeat_them():
    said = "softmax could not be called: 'softmax' was never defined: hw1.ipynb, cell [1] stopped at line 2."
    missing = ErrorInfo(type="MissingFunction", message=said)
    r = f.result("x", [f.question("softmax", [f.errored(f"softmax/{case}", error=missing, message=said, case=case)
                                              for case in ("vector", "matrix", "wide")])])
    html = render.report(r, blocks=None)
    checks = section(html, "q-softmax").text
    assert checks.count(said) == 1, checks  # softmax/vector's; the two others point to it
    assert html.count("<span class=\"muted\">as softmax/vector</span>") == 2


def test_the_functions_found_instead_of_missing_ones_are_listed_once():
    found = " (found 'softmax', 'normalizeRows', 'softmaxCostAndGradient')"
    qs = [f.question(q, [f.errored(f"{q}/small", error=ErrorInfo(type="MissingFunction", message=m), message=m)])
          for q, m in (("sigmoid", f"q3.py defines no function 'sigmoid'{found}."),
                       ("sgd", f"q3.py defines no function 'sgd'{found}."))]
    r = f.result("x", qs)
    causes = section(render.report(r, blocks=None), "causes").text
    assert causes.count("(found ") == 1, causes
    assert "q3.py defines no function 'sgd'." in causes
    out = terminal.terminal(r, color=False)
    assert out.count("(found ") == 1, out
    assert "sgd/small: q3.py defines no function 'sgd'." in out


def test_a_line_said_for_both_gradients_of_a_case_is_said_once():
    said = "softmaxCostAndGradient raised RuntimeError (erin.py, line 5): cost not done yet"
    entries = tuple(Consistency(case=case, wrt=wrt, status="error", message=said)
                    for case in ("small", "typical") for wrt in ("gradPred", "grad"))
    r = f.decided(f.result("x", [f.question("cross_entropy", [f.failed("cross_entropy/small", 1.0)])],
                           consistency=entries))
    page = section(render.report(r), "consistency")
    assert page.text.count(said) == 1  # once, with the cases it was said for (it was said once per case)
    assert "Cases small and typical: " + said in page.text


def test_a_stubs_consistency_is_said_nowhere_as_the_terminal_does():
    # report.html said "could not be compared" under the gradient's consistency for a function
    # that is still the starter's stub, where the terminal said nothing: its checks say it once.
    from grader.export import gradescope_results

    stub = "Not implemented: cost_and_grad still raises NotImplementedError (q3.py, line 3): the starter placeholder is still there."
    said = "cost_and_grad still raises NotImplementedError (q3.py, line 3): the starter placeholder is still there."
    r = f.decided(f.result("x", [f.question("cross_entropy", [f.failed("cross_entropy/small", 1.0, message=stub)]),
                                 f.question("grad_pred", [f.failed("grad_pred/small", 1.0, message=stub)])],
                           consistency=(Consistency(case="small", wrt="gradPred", status="error", message=said),)))
    assert r.consistency[0].verdict == "stub"
    assert render.consistency_verdicts(r) == []
    page = render.report(r)
    assert 'id="consistency"' not in page and "could not be compared" not in page
    assert "Does your gradient match" not in terminal.terminal(r, color=False)
    assert "Does your gradient match" not in render.notebook_check(r)
    assert "Does your gradient match" not in gradescope_results(r, execution_time=1)["output"]
    assert page.count("Not implemented: cost_and_grad still raises") >= 1  # said by its checks
    # an error of the student's own code (not a stub) is still said in the report, with its cause
    other = f.decided(replace(r, questions=(f.question("cross_entropy", [f.failed("cross_entropy/small", 1.0)]),),
                              consistency=(Consistency(case="small", wrt="gradPred", status="error", message="raised"),)))
    assert other.consistency[0].verdict == "unavailable" and 'id="consistency"' in render.report(other)


def test_consistency_is_read_with_the_cost_and_gradient_checks():
    cost_wrong = section(render.report(f.mixed()), "consistency").text
    assert ("Your gradient is the derivative of your own cost, but that cost is wrong: fix the cost; the gradient "
            "derived from the right cost will follow.") in cost_wrong
    grad_wrong = section(render.report(f.gradient_wrong()), "consistency").text
    assert "On these cases, your cost is right, but your gradient is not its derivative: the mistake is in the gradient." in grad_wrong
    assert "Case small: Your gradPred differs from central differences of your cost by up to 0.8." in grad_wrong
    error = section(render.report(f.errors()), "consistency").text
    assert "On these cases, your gradient could not be compared with your own cost." in error
    assert 'id="consistency"' not in render.report(f.all_pass())


@pytest.mark.parametrize(
    ("status", "cost_ok", "grad_ok", "verdict", "tone", "headline"),
    [
        ("consistent", True, True, "right", "good", "On these cases, your cost and your gradient are right"),
        ("consistent", False, False, "cost-wrong-gradient-derived", "warn", "but that cost is wrong: fix the cost;"),
        ("consistent", False, True, "cost-off-by-constant", "warn", "fix the cost only"),
        ("consistent", True, False, "returned-wrong", "warn", "yet the gradient check failed"),
        ("inconsistent", True, False, "gradient-wrong", "bad", "the mistake is in the gradient"),
        # the sign-flipped cost beside right gradients: never told to change the gradient
        ("inconsistent", False, True, "cost-wrong", "warn", "Fix the cost and leave the gradient as it is."),
        ("inconsistent", False, False, "both-wrong", "bad", "fix the cost first, then derive the gradient"),
        ("inconsistent", True, True, "right-but-apart", "good", "no need to change either"),
        ("error", True, True, "unavailable", "warn", "On these cases, your gradient could not be compared with your own cost"),
    ],
)
def test_consistency_verdicts(status, cost_ok, grad_ok, verdict, tone, headline):
    ce = f.passed("cross_entropy/small", 1.0) if cost_ok else f.failed("cross_entropy/small", 1.0)
    gp = f.passed("grad_pred/small", 1.0) if grad_ok else f.failed("grad_pred/small", 1.0)
    r = f.decided(f.result("x", [f.question("cross_entropy", [ce]), f.question("grad_pred", [gp])],
                           consistency=(Consistency(case="small", wrt="gradPred", status=status),)))
    assert r.consistency[0].verdict == verdict
    (v,) = render.consistency_verdicts(r)
    assert v.tone == tone
    assert headline in v.headline


def test_consistency_verdict_is_read_per_case():
    """A cost wrong only on another case (say, on overflow) does not make this case's verdict say it is wrong."""
    checks = [f.passed("cross_entropy/small", 1.0), f.failed("cross_entropy/extreme", 1.0)]
    r = f.decided(f.result("x", [f.question("cross_entropy", checks),
                                 f.question("grad_pred", [f.passed("grad_pred/small", 1.0)])],
                           consistency=(Consistency(case="small", wrt="gradPred", status="consistent"),)))
    assert r.consistency[0].verdict == "right"


def test_consistency_entries_with_one_verdict_are_said_once():
    entries = tuple(Consistency(case=case, wrt=wrt, status="inconsistent", message=f"{wrt} on {case} differs")
                    for case in ("small", "typical") for wrt in ("gradPred", "grad"))
    qs = [f.question("cross_entropy", [f.failed("cross_entropy/small", 1.0), f.failed("cross_entropy/typical", 1.0)]),
          f.question("grad_pred", [f.passed("grad_pred/small", 1.0), f.passed("grad_pred/typical", 1.0)]),
          f.question("grad_output", [f.passed("grad_output/small", 1.0), f.passed("grad_output/typical", 1.0)])]
    r = f.decided(f.result("x", qs, consistency=entries))
    (v,) = render.consistency_verdicts(r)
    assert len(v.entries) == 4
    page = section(render.report(r), "consistency")
    assert page.text.count("On these cases, your gradient is right, but your cost is wrong") == 1
    assert page.text.count("differs") == 4


def test_translated_file_and_its_diff_are_shown_collapsed():
    html = render.report(f.mixed())
    sec = section(html, "translated")
    # that it was translated is the notes' to say (once): the section shows what changed
    assert "translated it to Python 3" not in sec.text
    assert "What the translator changed in q3_word2vec.py" in sec.text
    (details,) = sec.named("details")
    assert "open" not in details
    assert "-print 'hello' +print('hello')" in sec.text
    assert '<span class="add">+print(&#39;hello&#39;)</span>' in html


def test_kit_report_says_hidden_checks_come_later():
    text = Page(render.report(f.all_pass(), kit=True)).text
    assert "self-check against the student kit" in text
    assert "Passing them is not your final grade" in text
    assert "student kit" not in Page(render.report(f.all_pass())).text


def test_report_is_self_contained_and_cannot_run_scripts():
    html = render.report(f.mixed())
    page = Page(html)
    assert_inert(page)
    assert all((a.get("href") or "").startswith("#") for a in page.named("a"))
    assert page.named("link") == [] and not any("src" in a for _, a in page.tags)
    (csp,) = [a for a in page.named("meta") if a.get("http-equiv") == "Content-Security-Policy"]
    assert "default-src 'none'" in csp["content"] and "script-src" not in csp["content"]
    assert ".badge.fail" in html  # the stylesheet is inlined


def test_hostile_strings_are_text_never_markup():
    r = f.hostile()
    html = render.report(r, rubric_title=f.SCRIPT)
    page = Page(html)
    assert_inert(page)
    text = page.text
    for s in (f.SCRIPT, f.IMG, f.ATTR):
        assert s in text  # shown, as text
    assert "<script" not in html and "<img" not in html and "onmouseover='" not in html
    assert "naïve – Ünïcödé ✓ 名前" in text
    # control characters and bidi overrides are visible escapes, never raw
    assert "\x1b" not in html and "\x00" not in html and "\u202e" not in html
    assert "esc\\x1b[31m nul\\x00" in text and "\\u202eevil\\u202c" in text
    # the hidden check keeps its secrets even when hostile
    assert "hidden-output" not in html


def test_hostile_submission_id_in_attributes_is_escaped():
    html = render.report(f.hostile())
    assert 'title>word2vec-softmax: feedback for &#34;&gt;&lt;img src=x onerror=&#34;alert(1)&#34;&gt;</title' in html


def test_results_read_back_from_json_render_the_same_way():
    for r in f.batch():
        back = SubmissionResult.from_dict(json.loads(json.dumps(r.to_dict())))
        html = render.report(back)
        assert_inert(Page(html))
        assert terminal.terminal(back, color=False)
    back = SubmissionResult.from_dict(json.loads(json.dumps(f.mixed().to_dict())))
    text = section(render.report(back), "check-softmax-stable-large").text
    assert "(0, 0) nan 0.2689 2.7e-06" in text  # NaN is null in result.json


def test_templates_come_from_the_package_and_nothing_else():
    env = render.environment()
    assert env.autoescape is True
    packaged = importlib.resources.files("grader.templates").joinpath("report.html.j2").read_text(encoding="utf-8")
    assert env.loader.get_source(env, "report.html.j2")[0] == packaged
    for bad in ("../grader/model.py", "/etc/passwd", ".hidden", "nope.j2"):
        with pytest.raises(jinja2.TemplateNotFound):
            env.get_template(bad)


# --------------------------------------------------------------------------- summary.html


def summary_page(results=None, **kw) -> tuple[str, Page]:
    html = render.summary(iter(results if results is not None else f.batch()), rubric_title="Word2vec softmax", **kw)
    return html, Page(html)


def test_summary_lists_every_submission_with_score_status_and_link():
    html, page = summary_page()
    rows = section(html, "submissions")
    text = rows.text
    assert "alice graded 10 / 10 100 11 0 0" in text  # the status next to the name: seen first on a phone
    assert "bob graded 4.75 / 10 47.5 late 5 6 0 softmax-wrong-axis, softmax-no-max-shift, ce-log10" in text
    assert "dave error 0 / 10 0 0 0 0 could not read dave.zip: File is not a zip file; load error" in text
    hrefs = [a["href"] for a in rows.named("a")]
    assert hrefs[:5] == ["alice/report.html", "bob/report.html", "carol/report.html", "dave/report.html", "erin/report.html"]
    assert hrefs[5] == "%22%3E%3Cimg%20src%3Dx%20onerror%3D%22alert%281%29%22%3E/report.html"
    assert "6 submissions 5 graded 1 could not be graded 4.7 mean score (of 10) 4.75 median 1 full marks 2 late" in page.text


def test_summary_figures_are_of_one_rubrics_results_and_say_which_results_of_another_are_left_out():
    # carol's result was kept from a run under another rubric (an entry no longer in the batch): out of 20
    from dataclasses import replace

    kept = replace(f.all_pass("carol"), rubric="word2vec-older", score=20.0, max_score=20.0)
    results = [f.all_pass("alice"), f.mixed(), kept]
    html, page = summary_page(results)
    assert "3 submissions 3 graded 7.38 mean score (of 10) 7.38 median 1 full marks" in page.text
    assert ("The mean, median, full marks and histogram are of the 2 results graded under word2vec-softmax, out of "
            "10; 1 graded under word2vec-older (carol) is left out of them: kept from an earlier run, out of another "
            "total.") in page.text
    # one rubric, or rubrics out of the same total: nothing left out, nothing said
    for carol in (f.all_pass("carol"), replace(f.all_pass("carol"), rubric="word2vec-older")):
        html, page = summary_page([f.all_pass("alice"), f.mixed(), carol])
        assert "3 graded 8.25 mean score (of 10)" in page.text
        assert "left out of them" not in page.text and 'id="other-rubrics"' not in html


def test_summary_says_which_submissions_left_the_starters_stub():
    """A stub fails its checks with no mistake id: the TA's table says "not-implemented" in the
    row (it was empty: 10 failed checks and no word why) and in the named mistakes."""
    stub = "Not implemented: forward_backward_prop still raises NotImplementedError (q2_neural.py, line 6)"
    q = f.question("neural_cost", [replace(f.failed("neural_cost/small"), message=stub, mistake=None, hint=None,
                                           mismatch=None)])
    html, page = summary_page([f.all_pass(), f.result("carol", [q])])
    row = [r for r in re.findall(r"<tr>.*?</tr>", html, re.S) if ">carol</a>" in r][0]
    assert "not-implemented" in Page(row).text
    named = section(html, "mistakes").text
    assert "not-implemented" in named and "the starter's placeholder is still there" in named and "carol" in named


def test_summary_names_the_students_of_a_canvas_download():
    # grades.csv names them (canvas.student_name): so does the table, in a column of its own
    results = [f.all_pass(), replace(f.mixed(), canvas=CanvasInfo("de_la_cruzana", "1002", "9002")),
               replace(f.errors(), canvas=CanvasInfo("", "", "9003", "Xy3Kp"))]
    html, _ = summary_page(results)
    table = html[html.index('id="submissions"'):]
    table = table[:table.index("</table>")]
    assert re.findall(r"<th>(\w+)</th>", table)[:3] == ["Submission", "Name", "Status"]
    cells = re.findall(r'<a href="[^"]*">(\w+)</a></td><td>(\w*)</td>', table)
    assert cells == [("alice", "smithalice"), ("bob", "de_la_cruzana"), ("carol", "")]
    # the page a batch writes as results stream in is the same
    pass_ = render.summary_pass()
    for r in results:
        pass_.add(r)
    out = io.StringIO()
    render.write_summary(lambda: iter(results), out, rubric_title="Word2vec softmax", first_pass=pass_)
    assert out.getvalue() == html
    # no Canvas download: no Name column
    plain = summary_page([replace(r, canvas=None) for r in results])[0]
    assert "<th>Name</th>" not in plain and "<td>smithalice</td>" not in plain


def test_summary_histogram_counts_graded_scores_in_ten_bins():
    html, _ = summary_page()
    hist = section(html, "histogram")
    titles = [t for t in re.findall(r"<title>([^<]*)</title>", str(html[html.index('id="histogram"') :][:6000]))]
    assert titles == [
        "0–1: 2 submissions", "1–2: 0 submissions", "2–3: 0 submissions", "3–4: 0 submissions",
        "4–5: 1 submission", "5–6: 0 submissions", "6–7: 0 submissions", "7–8: 0 submissions",
        "8–9: 1 submission", "9–10: 1 submission",
    ]
    assert len(hist.named("rect")) == 10
    heights = [float(r["height"]) for r in hist.named("rect")]
    assert heights[0] == 140 and heights[4] == heights[8] == heights[9] == 70 and heights[1] == 0


def test_summary_pass_rate_per_check():
    html, _ = summary_page()
    text = section(html, "checks").text
    assert "softmax/rows-2x3 public 2 2 0 50%" in text
    assert "softmax/stable-large public 2 1 2 40%" in text
    assert "grad_output/small public 2 1 0 66.7%" in text
    assert "softmax/hidden-mixed hidden 0 1 0 0%" in text


def test_summary_named_mistakes_say_who():
    html, _ = summary_page()
    text = section(html, "mistakes").text
    assert "softmax-wrong-axis · 1 submission each row must sum to 1; yours is normalised over columns. bob softmax/rows-2x3" in text
    assert "grad-pred-sign · 1 submission the sign is flipped: ∂CE/∂r̂ = Wᵀ(ŷ - y). erin grad_pred/small" in text


def test_summary_error_kinds_say_who():
    html, _ = summary_page()
    text = section(html, "errors").text
    assert "Timeout · 1 submission carol softmax/stable-large" in text
    assert "Crash · 1 submission carol cross_entropy/small" in text
    assert "Missing function · 1 submission carol grad_pred/small" in text
    assert "Syntax error · 1 submission carol hw1.ipynb, cell [3]" in text
    assert "Could not be loaded · 1 submission dave could not read dave.zip" in text
    assert "A top-level statement or cell raised · 1 submission" in text  # graded all the same
    assert "Raised an exception · 2 submissions carol softmax/rows-1d" in text


def test_summary_marks_errors_met_only_in_extra_credit():
    # a full score beside "missing function" was a student who skipped the extra credit (cbow)
    missing = ErrorInfo("MissingFunction", "q3_word2vec.py defines no function 'cbow'.")
    cbow = replace(f.question("cbow_cost", [f.errored(f"cbow_cost/{k}", error=missing, message=missing.message)
                                            for k in ("a", "b")]), extra=True)
    alice = f.all_pass()
    skipped = replace(alice, questions=alice.questions + (cbow,))
    html, _ = summary_page([skipped, f.errors()])
    rows = section(html, "submissions").text
    assert "missing function (extra credit only)" in rows
    text = section(html, "errors").text
    assert "Missing function (extra credit only) · 1 submission alice cbow_cost/a, cbow_cost/b" in text
    assert "Missing function · 1 submission carol grad_pred/small" in text  # carol's is not extra credit


def test_error_kinds_mapping():
    assert render.error_kinds(f.errors()) == {
        "syntax error": ["hw1.ipynb, cell [3]"],
        "exception": ["softmax/rows-1d"],
        "timeout": ["softmax/stable-large"],
        "crash": ["cross_entropy/small"],
        "missing function": ["grad_pred/small"],
    }
    assert render.error_kinds(f.all_pass()) == {}


@pytest.mark.parametrize(
    ("message", "error_type", "kind"),
    [
        ("softmax did not return within 2 s on this input; it was stopped, this check scored 0 and the other checks still ran.", None, "timeout"),
        ("not run: the submission's total time budget ran out.", None, "timeout"),
        ("the process running softmax died (a segmentation fault (SIGSEGV)); this check scored 0 and the other checks ran in a fresh process.", None, "crash"),
        ("the process running softmax exited (exit status 3, e.g. os._exit); this check scored 0 and the other checks ran in a fresh process.", None, "crash"),
        ("q1_softmax.py defines no function 'softmax' (found 'Softmax'). Did you mean 'Softmax'?", None, "missing function"),
        ("the submission (no Python file was found) defines no function 'softmax'.", None, "missing function"),
        ("softmax sent back something that is not plain numbers within the size limit; nothing of it was used.", None, "other"),
        ("softmax raised ValueError (q1_softmax.py, line 3): bad shape", "ValueError", "exception"),
        ("softmax called sys.exit (q1_softmax.py, line 3); this check scored 0.", "SystemExit", "crash"),
        ("anything", "Timeout", "timeout"),
    ],
)
def test_error_kind_of_a_check(message, error_type, kind):
    error = terminal.ErrorInfo(error_type, "") if error_type else None
    c = CheckResult("softmax/a", "softmax", "error", 0.0, 1.0, message, error=error)
    assert render.error_kinds(f.result("x", [f.question("softmax", [c])])) == {kind: ["softmax/a"]}


def test_error_kind_of_an_ungraded_submission_lists_it_once():
    r = replace(f.errors(), status="error", errors=("not graded: no code found",))
    assert render.error_kinds(r) == {"load error": ["not graded: no code found"]}


@pytest.mark.parametrize(("error_type", "kind"), [
    ("AssertionError", "top-level code"), ("NameError", "top-level code"), ("SyntaxError", "syntax error"),
    ("SystemExit", "top-level code"),
    ("Timeout", "timeout"), ("MemoryError", "out of memory"),
])
def test_a_failing_top_level_statement_of_a_graded_submission_is_not_a_load_error(error_type, kind):
    load = LoadReport(unit_errors=(UnitError("frank.py, line 34", ErrorInfo(error_type, "")),))
    r = replace(f.all_pass(), load=load)
    assert r.status == "graded" and render.error_kinds(r) == {kind: ["frank.py, line 34"]}
    _, page = summary_page([r])
    assert "Could not be loaded" not in page.text
    assert render.KIND_LABELS[kind] in page.text


def test_summary_without_mistakes_or_errors_says_so():
    _, page = summary_page([f.all_pass()])
    assert "No submission made a named mistake." in page.text
    assert "No submission raised, timed out, crashed or failed to load." in page.text


def test_summary_script_is_the_only_one_constant_and_allowed_by_its_hash():
    html, page = summary_page([f.hostile(), f.mixed()])
    assert_inert(page, scripts_allowed=1)
    (script,) = page.scripts
    assert script == render.SORT_SCRIPT
    assert "innerHTML" not in script and "eval" not in script
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    (csp,) = [a for a in page.named("meta") if a.get("http-equiv") == "Content-Security-Policy"]
    assert f"script-src 'sha256-{digest}'" in csp["content"]
    assert f.IMG in page.text and f.ATTR in page.text  # hostile data is text in the table, not in the script
    sortable = [a for a in page.named("table") if "sortable" in (a.get("class") or "")]
    assert len(sortable) == 2


def test_summary_links_never_carry_a_script_url():
    evil = f.all_pass("javascript:alert(1)")
    html, page = summary_page([evil], report_href=lambda r: f"{r.submission}/report.html")
    hrefs = {a["href"] for a in page.named("a")}
    assert hrefs == {"./javascript:alert(1)/report.html"}
    _, page = summary_page([evil])
    assert {a["href"] for a in page.named("a")} == {"javascript%3Aalert%281%29/report.html"}


@pytest.mark.parametrize(
    ("href", "safe"),
    [
        ("alice/report.html", "alice/report.html"),
        ("https://lms.example/r/1", "https://lms.example/r/1"),
        ("JavaScript:alert(1)", "./JavaScript:alert(1)"),
        (" \x01javascript:alert(1)", "./javascript:alert(1)"),
        ("java\nscript:alert(1)", "./javascript:alert(1)"),
        ("data:text/html,<script>", "./data:text/html,<script>"),
        ("alice:1/report.html", "./alice:1/report.html"),
    ],
)
def test_safe_href(href, safe):
    assert render.safe_href(href) == safe


def test_summary_consumes_an_iterator_once_and_keeps_no_result():
    refs: list[weakref.ref] = []

    def results():
        for make in (f.all_pass, f.mixed, f.errors, f.submission_error, f.gradient_wrong, f.hostile):
            r = make()
            refs.append(weakref.ref(r))
            yield r
            del r
            gc.collect()
            # the summary has already taken what it needs from the previous result and let it go
            assert all(ref() is None for ref in refs[:-1])

    html = render.summary(results())
    assert len(refs) == 6
    assert "erin" in Page(html).text


# --------------------------------------------------------------------------- terminal


MIXED_TERMINAL = """\
bob: 4.75 / 10 (late)

Question       Checks  Points
softmax        2 / 5   1 / 2.5
cross_entropy  1 / 2   1.25 / 2.5
grad_pred      2 / 2   2.5 / 2.5
grad_output    0 / 2   0 / 2.5
Total          5 / 11  4.75 / 10

Note: q3_word2vec.py was written for Python 2 and was translated to Python 3 before running.

Does your gradient match your own cost?
  On these cases, your gradient is right and is the derivative of your cost, but your cost is wrong by something that does not change its derivative (a constant): fix the cost only. (gradPred on case small)
  Your gradient is the derivative of your own cost, but that cost is wrong: fix the cost; the gradient derived from the right cost will follow. (grad on case small)

softmax/rows-2x3: fail (0 / 0.5)
Not within tolerance (rtol=1e-05, atol=1e-08) of the expected values.
Mismatched elements: 2 / 6 (33.3%)
  index   got   expected  allowed ±
  (0, 2)  0.69  0.7       7.0e-06
  (1, 0)  0.31  0.3       3.0e-06
Max absolute difference among mismatches: 0.01
Max relative difference among mismatches: 0.0333 (relative to expected)
Likely mistake: each row must sum to 1; yours is normalised over columns.

Also did not pass:
  softmax/stable-large: Got inf or nan where the expected values are finite. Likely mistake: subtract each row's max before exponentiating; exp(1000) overflows to inf.
  softmax/hidden-mixed: Not within tolerance (rtol=1e-05, atol=1e-08) of the expected values.
  cross_entropy/small: Not within tolerance (rtol=1e-05, atol=1e-08) of the expected values. Likely mistake: the cost uses the natural log (np.log); yours looks like log10.
  grad_output/small: Not within tolerance (rtol=1e-05, atol=1e-08) of the expected values. Likely mistake: the -y term is missing: the gradient is (ŷ - y) r̂ᵀ, not ŷ r̂ᵀ.
  grad_output/large-vocab: grad_output: got shape (50, 5000), expected (5000, 50) (|V| rows, d columns). Likely mistake: your gradient is transposed: it should be (ŷ - y) r̂ᵀ, one row per output word.

Passing the public checks is not your final grade: hidden checks are graded after you hand in.
"""


def test_terminal_output_is_pinned():
    assert terminal.terminal(f.mixed(), color=False) == MIXED_TERMINAL


def test_terminal_all_pass():
    assert terminal.terminal(f.all_pass(), color=False) == (
        "alice: 10 / 10\n"
        "\n"
        "Question       Checks   Points\n"
        "softmax        5 / 5    2.5 / 2.5\n"
        "cross_entropy  2 / 2    2.5 / 2.5\n"
        "grad_pred      2 / 2    2.5 / 2.5\n"
        "grad_output    2 / 2    2.5 / 2.5\n"
        "Total          11 / 11  10 / 10\n"
        "\n"
        "Every check passed.\n"
        "\n"
        "Passing the public checks is not your final grade: hidden checks are graded after you hand in.\n"
    )


def test_terminal_with_colour_is_pinned():
    r = f.result("amy", [f.question("softmax", [f.passed("softmax/a"), f.failed("softmax/b", hint="use axis=1.")])])
    B, R, G, Y, M, X = "\x1b[1m", "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[35m", "\x1b[0m"
    assert M  # magenta is for errors; not used here
    assert terminal.terminal(r, color=True) == (
        f"{B}amy: 0.5 / 1{X}\n"
        "\n"
        f"{B}Question  Checks  Points{X}\n"
        f"{R}softmax   1 / 2   0.5 / 1{X}\n"
        f"{B}Total     1 / 2   0.5 / 1{X}\n"
        "\n"
        f"{B}softmax/b{X}: {R}fail{X} (0 / 0.5)\n"
        "Not within tolerance (rtol=1e-05, atol=1e-08) of the expected values.\n"
        "Mismatched elements: 2 / 6 (33.3%)\n"
        "  index   got   expected  allowed ±\n"
        "  (0, 2)  0.69  0.7       7.0e-06\n"
        "  (1, 0)  0.31  0.3       3.0e-06\n"
        "Max absolute difference among mismatches: 0.01\n"
        "Max relative difference among mismatches: 0.0333 (relative to expected)\n"
        f"{B}{Y}Likely mistake:{X} use axis=1.\n"
        "\n"
        "Passing the public checks is not your final grade: hidden checks are graded after you hand in.\n"
    )
    assert G not in terminal.terminal(r, color=True)


def test_terminal_errors_loading_and_traceback():
    out = terminal.terminal(f.errors(), color=False)
    assert out.startswith("carol: 0 / 3.5\n")
    assert (
        "While loading your code:\n"
        "  hw1.ipynb, cell [3]: SyntaxError: invalid syntax (hw1.ipynb, cell [3], line 2)\n"
    ) in out
    assert (
        "softmax/rows-1d: error (0 / 0.5)\n"
        "softmax still raises NotImplementedError (q1_softmax.py, line 21): the starter placeholder is still there.\n"
        "Traceback (most recent call last):\n"
        '  File "q3_word2vec.py", line 42, in softmaxCostAndGradient\n'
    ) in out
    assert (
        "Also did not pass:\n"
        "  softmax/stable-large: softmax did not return within 2 s on a 1000×1000 input; this check scored 0, the other checks ran.\n"
        "  cross_entropy/small: softmaxCostAndGradient crashed the Python process (killed by signal 9); this check scored 0, the other checks ran.\n"
        "  grad_pred/small: q3_word2vec.py defines no function 'softmaxCostAndGradient' (found 'softmaxCostAndGrad'). Did you mean 'softmaxCostAndGrad'?\n"
    ) in out


def test_terminal_submission_error():
    assert terminal.terminal(f.submission_error(), color=False) == (
        "dave: 0 / 10\nThis submission could not be graded:\n  could not read dave.zip: File is not a zip file\n"
    )


def test_terminal_skips_hidden_failures_for_the_explanation():
    r = f.result("x", [f.question("softmax", [f.failed("softmax/h", visibility="hidden", hint="SECRET"), f.failed("softmax/p")])])
    out = terminal.terminal(r, color=False)
    assert "softmax/p: fail (0 / 0.5)" in out and "SECRET" not in out
    assert "Also did not pass:\n  softmax/h: Not within tolerance (rtol=1e-05, atol=1e-08) of the expected values.\n" in out


def test_terminal_names_at_most_five_other_failures():
    checks = [f.failed(f"softmax/c{i}") for i in range(8)]
    out = terminal.terminal(f.result("x", [f.question("softmax", checks)]), color=False)
    assert "Also did not pass:\n  softmax/c1 and 6 more: Not within tolerance (rtol=1e-05, atol=1e-08) of the expected values.\n" in out


def test_terminal_says_one_line_of_cause_per_failing_question_with_its_hint():
    r = f.result("x", [
        f.question("softmax", [f.failed("softmax/a", hint="use axis=1.", mistake="softmax-wrong-axis")]),
        f.question("grad_output", [f.failed("grad_output/small", hint="grad is transposed.", mistake="grad-output-transposed"),
                                   f.failed("grad_output/typical", hint="grad is transposed.", mistake="grad-output-transposed")]),
    ])
    out = terminal.terminal(r, color=False)
    assert "Likely mistake: use axis=1.\n" in out  # the first failing check, explained
    assert ("Also did not pass:\n  grad_output/small and 1 more: Not within tolerance (rtol=1e-05, atol=1e-08) of the "
            "expected values. Likely mistake: grad is transposed.\n") in out


def test_terminal_says_a_shared_error_once():
    err = ErrorInfo("ValueError", "shapes not aligned", (Frame("q3.py", 34),))
    checks = [f.errored(f"cross_entropy/c{i}", error=err, message=f"raised ValueError: shapes ({i},3) not aligned")
              for i in range(4)]
    out = terminal.terminal(f.result("x", [f.question("cross_entropy", checks)]), color=False)
    assert "The same cause made 3 more checks fail: cross_entropy/c1, cross_entropy/c2, cross_entropy/c3.\n" in out
    assert out.count("shapes") == 1 + 1  # the message, and the traceback's last line
    assert "Also did not pass" not in out


def test_terminal_cuts_long_tracebacks_and_says_how_to_see_them():
    tb = "".join(f"  line {i}\n" for i in range(40))
    err = f.errored("softmax/x", error=terminal.ErrorInfo("ValueError", "bad", traceback=tb), message="softmax raised ValueError: bad")
    lines = terminal.explain_lines(err, traceback_lines=15)
    assert lines[2] == "… 25 earlier traceback lines not shown; run your code directly to see all of them"
    assert lines[3:] == [f"  line {i}" for i in range(25, 40)]


def test_terminal_never_passes_control_characters_through():
    for color in (False, True):
        out = terminal.terminal(f.hostile(), color=color)
        stripped = re.sub(r"\x1b\[(?:0|1|2|31|32|33|35)m", "", out) if color else out
        assert "\x1b" not in stripped and "\x00" not in stripped and "\x07" not in stripped and "\u202e" not in stripped
        assert "esc\\x1b[31m" in stripped
    assert "\x1b" not in terminal.terminal(f.hostile(), color=False)


@pytest.mark.parametrize(
    ("factory", "line"),
    [
        (f.all_pass, "alice: 10 / 10, 11 of 11 checks passed"),
        (f.mixed, "bob: 4.75 / 10, 5 of 11 checks passed (6 failed), late"),
        (f.errors, "carol: 0 / 3.5, 0 of 4 checks passed (4 errors)"),
        (f.submission_error, "dave: error: could not read dave.zip: File is not a zip file"),
        (f.gradient_wrong, "erin: 8.75 / 10, 10 of 11 checks passed (1 failed)"),
    ],
)
def test_terminal_batch_line(factory, line):
    assert terminal.terminal_batch_line(factory()) == line
    assert render.terminal_batch_line is terminal.terminal_batch_line


def test_the_batch_line_says_when_what_did_not_pass_is_extra_credit():
    # a full score beside "(3 errors)" read as a contradiction: the errors were extra credit's
    r = f.all_pass()
    missing = ErrorInfo("MissingFunction", "q3_word2vec.py defines no function 'cbow'.")
    cbow = replace(f.question("cbow_cost", [f.errored(f"cbow_cost/{k}", error=missing, message=missing.message)
                                            for k in ("a", "b", "c")]), extra=True)
    full = replace(r, questions=r.questions + (cbow,))
    assert terminal.terminal_batch_line(full) == "alice: 10 / 10, 11 of 14 checks passed (3 errors, all in extra credit)"
    some = replace(f.mixed(), questions=f.mixed().questions + (cbow,))
    assert terminal.terminal_batch_line(some) == \
        "bob: 4.75 / 10, 5 of 14 checks passed (6 failed, 3 errors, 3 of these 9 in extra credit), late"


def test_batch_line_is_one_line_even_for_hostile_ids():
    line = terminal.terminal_batch_line(replace(f.all_pass(), submission="a\nb\x1b[2J"))
    assert "\n" not in line and "\x1b" not in line


def test_explanation_of_a_non_finite_and_a_type_mismatch():
    c = CheckResult(
        "softmax/big", "softmax", "fail", 0.0, 0.5, "Got inf or nan where the expected values are finite.",
        mismatch=Mismatch("nonfinite", "1 of 2 elements are inf", n_bad=1, n_total=2,
                          worst=(Element((1,), float("inf"), 0.5, 5e-6),)),
    )
    assert terminal.explain(c) == (
        "softmax/big: fail (0 / 0.5)\n"
        "Got inf or nan where the expected values are finite.\n"
        "Mismatched elements: 1 / 2 (50.0%)\n"
        "  index  got  expected  allowed ±\n"
        "  (1,)   inf  0.5       5.0e-06"
    )
    t = CheckResult("softmax/t", "softmax", "fail", 0.0, 0.5, "softmax returned a list; expected an ndarray.",
                    mismatch=Mismatch("type", "type list, expected ndarray"))
    assert terminal.explain(t).splitlines()[2] == "Type list, expected ndarray"


@pytest.mark.parametrize("module", [terminal, render])
def test_doctests(module):
    assert doctest.testmod(module).failed == 0


# --------------------------------------------------------------------------- a real browser


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "headless_shell"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("headless Chromium is not installed: install it (apt-get install chromium) to run the browser tests")


@pytest.mark.browser
def test_browser_runs_the_summary_script_under_its_csp_and_no_report_script(tmp_path):
    browser = _chromium()
    (tmp_path / "summary.html").write_text(render.summary(iter([f.hostile(), f.mixed()])), encoding="utf-8")
    (tmp_path / "report.html").write_text(render.report(f.hostile()), encoding="utf-8")

    def dom(name: str) -> str:
        run = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", (tmp_path / name).as_uri()],
            capture_output=True, text=True, timeout=60,
        )
        assert run.returncode == 0, run.stderr[-2000:]
        return run.stdout

    summary_dom = dom("summary.html")
    # the sort script ran (the CSP hash admitted it): every header of both tables got a button
    # (the submissions' table has a Name column: the hostile result is from a Canvas download)
    assert summary_dom.count('<button type="button" class="sort">') == 10 + 7
    report_dom = Page(dom("report.html"))
    assert_inert(report_dom)
    assert f.SCRIPT in report_dom.text


def test_heat_map_with_missing_shares_and_an_empty_summary_still_render():
    m = f.values_mismatch(heat=((None, 1.0), (0.5, float("nan"))))
    html = render.report(f.result("x", [f.question("softmax", [f.failed("softmax/a", mismatch=m)])]))
    text = section(html, "check-softmax-a").text
    assert "block (0, 0): 0% of its elements differ block (0, 1): 100% of its elements differ" in text
    page = Page(render.summary(iter([])))
    assert "0 submissions 0 graded" in page.text
    assert "No submission made a named mistake." in page.text


# --------------------------------------------------------------------------- summary.html, streamed


def varied_batch(n: int = 90) -> list[SubmissionResult]:
    """Results of every kind, ids that need quoting or are hostile, late or not, two rubrics."""
    rng = random.Random(6)
    templates = [f.all_pass(), f.mixed(), f.errors(), f.submission_error(), f.gradient_wrong(), f.hostile()]
    ids = ["alice", "bob smith", "ça/va", "javascript:alert(1)", f.IMG, f.ATTR, "x" * 60, "100%", "a\u202eb"]
    out = []
    for i in range(n):
        t = rng.choice(templates)
        score = t.score
        if t.status != "error":
            score = rng.choice([0, 0.0, t.max_score, int(t.max_score), round(rng.uniform(0, t.max_score), 3)])
        out.append(replace(
            t, submission=f"{rng.choice(ids)}-{i:03d}", score=score, late=rng.random() < 0.3,
            rubric=rng.choice(["softmax", "word2vec"]),
        ))
    # some regraded after a rubric change: a few questions, every question (and why), from an error
    again = random.Random(7)
    for i, r in enumerate(out):
        pick = again.random()
        if pick < 0.15:
            block = Regrade(previous_score=round(again.uniform(0, r.max_score), 2), previous_max_score=r.max_score,
                            previous_status="graded", previous_rubric="r1", questions=("softmax",))
        elif pick < 0.2:
            block = Regrade(previous_score=0.0, previous_max_score=r.max_score, previous_status="error",
                            previous_rubric="r1", questions=("softmax", "grad_pred"), full=True,
                            reason=f"a question was added ({f.IMG})")
        elif pick < 0.23:
            block = Regrade(previous_score=r.score, previous_max_score=r.max_score, previous_status="graded",
                            previous_rubric="r1")
        else:
            continue
        out[i] = replace(r, regrade=block)
    return out


def _mixed_href(r: SubmissionResult) -> str:
    # the default link for some, another for others: the groups' links are kept from the first that differs
    return f"{r.submission}/report.html" if r.submission[:1] in "j\"'" else render._default_href(r)


@pytest.mark.parametrize("kw", [
    {},
    {"rubric_title": "Word2vec <softmax>"},
    {"report_href": lambda r: f"https://lms.example/{r.submission}"},
    {"report_href": _mixed_href},
])
@pytest.mark.parametrize("n", [0, 1, 90])
def test_streamed_summary_is_byte_identical_to_the_one_pass_page(tmp_path, kw, n):
    results = varied_batch(n)
    expected = summary_oneshot.summary(iter(results), **kw).encode("utf-8")
    page = tmp_path / "summary.html"
    with open(page, "w", encoding="utf-8") as fp:
        render.write_summary(lambda: iter(results), fp, **kw)
    assert page.read_bytes() == expected
    # and from a list, and the one-string summary from an iterator and from a callable
    with open(page, "w", encoding="utf-8") as fp:
        render.write_summary(results, fp, **kw)
    assert page.read_bytes() == expected
    assert render.summary(iter(results), **kw).encode("utf-8") == expected
    assert render.summary(lambda: iter(results), **kw).encode("utf-8") == expected


def test_streamed_summary_of_results_read_back_from_disk(tmp_path):
    from grader import batch

    out = tmp_path / "out"
    for r in varied_batch(30):
        r = replace(r, submission=re.sub(r"[^A-Za-z0-9_.-]", "_", r.submission))
        (out / r.submission).mkdir(parents=True)
        (out / r.submission / "result.json").write_text(json.dumps(r.to_dict()), encoding="utf-8")
    expected = summary_oneshot.summary(batch.iter_results(out), rubric_title="A1")
    with batch.atomic_path(out / "summary.html") as tmp, open(tmp, "w", encoding="utf-8") as fp:
        render.write_summary(lambda: batch.iter_results(out), fp, rubric_title="A1")
    assert (out / "summary.html").read_bytes() == expected.encode("utf-8")


class Sink(io.TextIOBase):
    """A text file that keeps what was written (or only counts it)."""

    def __init__(self, keep: bool = True) -> None:
        self.parts: list[str] = []
        self.keep = keep
        self.chars = 0

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        self.chars += len(s)
        if self.keep:
            self.parts.append(s)
        return len(s)


def test_write_summary_reads_twice_and_writes_each_row_before_reading_the_next():
    results = [replace(r, regrade=None) for r in varied_batch(12)]
    sink = Sink()
    passes = []
    gc.collect()  # rows another test left in unreachable cycles are not this page's
    before = sum(isinstance(o, render._Row) for o in gc.get_objects())

    def again():
        passes.append(len(passes))
        for i, r in enumerate(results):
            if len(passes) == 2 and i > 0:
                written = "".join(sink.parts)
                # the previous result's row is in the file already, and no later one
                assert written.count('<td class="id">') == i
                assert sum(isinstance(o, render._Row) for o in gc.get_objects()) - before <= 1
            yield r

    render.write_summary(again, sink)
    assert passes == [0, 1]
    assert "".join(sink.parts) == summary_oneshot.summary(iter(results))


def test_write_summary_reads_the_regraded_rows_in_a_third_pass():
    results = varied_batch(40)
    assert any(r.regrade is not None for r in results)
    sink = Sink()
    passes = []

    def again():
        passes.append(len(passes))
        yield from results

    render.write_summary(again, sink)
    page = "".join(sink.parts)
    assert passes == [0, 1, 2] and page == summary_oneshot.summary(iter(results))
    section = page[page.index('<section id="regraded">'):]
    assert section.count('<td class="id">') == sum(r.regrade is not None for r in results)
    assert "every question (a question was added (&#34;&gt;&lt;img" in section  # escaped
    assert "none (no question&#39;s checks changed)" in section


def _peak_of_summary(n: int, template: SubmissionResult) -> int:
    """Return the peak of the memory allocated while writing a summary of n results to a sink."""
    def results():
        for i in range(n):
            yield replace(template, submission=f"s{i:05d}")

    gc.collect()
    # warmed up: jinja2's caches, and CPython's free lists (tuple(genexpr) grows a tuple past
    # its first guess, and the grown ones pile up in the free list of their size, up to 2,000)
    render.write_summary(results, Sink(keep=False))
    tracemalloc.start()
    try:
        render.write_summary(results, Sink(keep=False))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_write_summary_memory_does_not_grow_with_the_batch():
    # no mistake nor error: nothing of a result is kept but its score (8 bytes); the
    # one-string page grew by 2.4 KiB per result here
    small, large = _peak_of_summary(200, f.all_pass()), _peak_of_summary(2000, f.all_pass())
    assert large - small < 1800 * 8 + 16 * 1024, (small, large)
    # three named mistakes each: who made them is kept, compactly (the one-string page grew
    # by 6.5 KiB per result here)
    small, large = _peak_of_summary(200, f.mixed()), _peak_of_summary(2000, f.mixed())
    assert large - small < 1800 * 160, (small, large)


def test_extra_credit_that_lifts_a_score_over_the_maximum_is_not_full_marks():
    from grader.model import QuestionResult, SubmissionResult
    from grader.render import full_marks, summary

    def result(sid, core, extra):
        qs = (QuestionResult("skipgram_cost", "", core, 9.0, ()), QuestionResult("cbow_cost", "", extra, 3.0, (), extra=True))
        return SubmissionResult(sid, "r", "graded", core + extra, 9.0, questions=qs)

    top, lost, lifted = result("top", 9.0, 0.0), result("lost", 6.5, 0.0), result("lifted", 6.5, 3.0)
    assert lifted.score > lifted.max_score
    assert [full_marks(r) for r in (top, lost, lifted)] == [True, False, False]
    assert full_marks(result("all", 9.0, 3.0))
    page = summary(iter([top, lost, lifted]))
    assert "<b>1</b> full marks" in page
    assert "except the last, which includes full marks and any score above them (extra credit)" in page


def test_a_line_of_other_failures_never_lends_one_checks_words_to_another():
    from dataclasses import replace as _replace

    own = [_replace(f.failed(f"skipgram_cost/own-{n}"), message="Not within tolerance. The difference comes from your "
                    "softmaxCostAndGradient.") for n in ("small", "typical")]
    course = [f.failed(f"skipgram_cost/course-{n}") for n in "cba"]
    first = f.failed("softmax/a", hint="use axis=1.", mistake="softmax-wrong-axis")
    r = f.result("x", [f.question("softmax", [first]), f.question("skipgram_cost", own + course)])
    out = terminal.terminal(r, color=False)
    also = out.split("Also did not pass:\n", 1)[1]
    assert "  skipgram_cost/own-small and 1 more: Not within tolerance. The difference comes from your " \
           "softmaxCostAndGradient.\n" in also
    assert "  skipgram_cost/course-c and 2 more: Not within tolerance (rtol=1e-05, atol=1e-08) of the expected " \
           "values.\n" in also
    # report.html says each of the two messages once, with all the checks that have it
    causes = [(c.text, c.checks) for c in render._said_once([
        render.Cause(c.message, False, (c.id,)) for c in own + course])]
    assert [ids for _, ids in causes] == [("skipgram_cost/own-small", "skipgram_cost/own-typical"),
                                          ("skipgram_cost/course-c", "skipgram_cost/course-b", "skipgram_cost/course-a")]


def test_the_sampling_convention_accepted_is_said_once_not_at_every_check():
    # CS224d 2015: target draws used as negatives, accepted by the rubric; every negative-sampling
    # check carried the note, and the report said it 15 times
    from dataclasses import replace as _replace

    accepted = ("you used draws equal to the target as negative samples; this rubric accepts that "
                "(your assignment does not say whether to reject them).")
    qs = [f.question(q, [_replace(f.passed(f"{q}/{case}", 0.5), notes=(f"drawn: {i}, 1 (the target) — used", accepted))
                         for i, case in enumerate(("small", "typical", "large"))])
          for q in ("negsamp_cost", "negsamp_grad_pred", "negsamp_grad_output")]
    html = render.report(f.result("x", qs))
    assert html.count("this rubric accepts that") == 1
    assert html.count("drawn: 2, 1 (the target)") == 1  # each call's draws, still said once each


def test_a_stub_is_one_cause_whichever_questions_it_fails():
    from dataclasses import replace as _replace

    stub = "Not implemented: softmaxCostAndGradient still raises NotImplementedError (q3_word2vec.py, line 10)"
    qs = [f.question(q, [_replace(f.failed(f"{q}/small"), message=stub)]) for q in ("cross_entropy", "grad_pred", "grad_output")]
    out = terminal.terminal(f.result("x", qs), color=False)
    assert out.count("still raises NotImplementedError") == 1
    assert "The same cause made 2 more checks fail: grad_pred/small, grad_output/small." in out


def test_what_a_negative_sampling_call_drew_is_said_once_and_pointed_to_after():
    from dataclasses import replace as _replace

    drawn = "drawn: 3, 1 (the target), 4, 4 — draws equal to the target were rejected and drawn again"
    qs = [f.question(q, [_replace(f.passed(f"{q}/small", 0.5), notes=(drawn,))])
          for q in ("negsamp_cost", "negsamp_grad_pred", "negsamp_grad_output")]
    html = render.report(f.result("x", qs))
    assert html.count("drawn: 3, 1 (the target), 4, 4") == 1
    assert html.count("drawn: the same draws as negsamp_cost/small (one call returned both values)") == 2


def test_a_function_defined_in_code_that_does_not_compile_is_a_syntax_error_not_a_missing_function(tmp_path):
    # summary.html listed heidi's softmax under "Missing function" as well as under "Syntax error"
    from grader.cli import main

    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "heidi.py").write_text("import numpy as np\n\ndef softmax(x)\n    return x\n")
    assert main(["grade", str(subs), "--out", str(tmp_path / "out"), "--no-progress"],
                out=io.StringIO(), err=io.StringIO()) == 0
    from grader.batch import read_result

    result = read_result(tmp_path / "out" / "heidi" / "result.json")
    kinds = render.error_kinds(result)
    assert "missing function" not in kinds or not any(w.startswith("softmax/") for w in kinds["missing function"]), kinds
    assert any(w.startswith("softmax/") for w in kinds["syntax error"]), kinds
