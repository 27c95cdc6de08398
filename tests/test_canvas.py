"""Tests for grader.canvas: Canvas bulk-download names and resubmissions."""

import pytest

from grader.canvas import CanvasName, is_canvas_batch, latest, parse


@pytest.mark.parametrize(
    ("filename", "name", "late", "user", "sub", "original", "resubmission"),
    [
        ("smithjohn_123_456_q3_word2vec.py", "smithjohn", False, "123", "456", "q3_word2vec.py", 0),
        ("smithjohn_LATE_123_456_q3_word2vec.py", "smithjohn", True, "123", "456", "q3_word2vec.py", 0),
        ("smithjohn_123_456_q3_word2vec-1.py", "smithjohn", False, "123", "456", "q3_word2vec.py", 1),
        ("smithjohn_LATE_123_456_q3_word2vec-12.py", "smithjohn", True, "123", "456", "q3_word2vec.py", 12),
        ("doejane_9_10_hw1.ipynb", "doejane", False, "9", "10", "hw1.ipynb", 0),
        ("doejane_9_10_my-file-2.zip", "doejane", False, "9", "10", "my-file.zip", 2),
        ("doejane_9_10_README", "doejane", False, "9", "10", "README", 0),
        ("doejane_9_10_run-3", "doejane", False, "9", "10", "run", 3),
    ],
)
def test_parse(filename, name, late, user, sub, original, resubmission):
    assert parse(filename) == CanvasName(filename, name, late, user, sub, original, resubmission)


@pytest.mark.parametrize(
    "filename",
    [
        "q3_word2vec.py",
        "alice.py",
        "Smithjohn_123_456_q1.py",  # Canvas lowercases the name
        "smith john_123_456_q1.py",
        "smithjohn_123_q1.py",  # one number only
        "smithjohn_abc_456_q1.py",
        "smithjohn_123_text.htm",
    ],
)
def test_parse_refuses_other_names(filename):
    assert parse(filename) is None


@pytest.mark.parametrize(
    ("filename", "name"),
    [
        # Canvas keeps every Unicode word character of the name (Ruby's [[:word:]]), combining marks
        # too: Devanagari, Tamil and Thai names hold them, and so does a name typed decomposed.
        ("शर्माप्रिया_1001_5001_q3_word2vec.py", "शर्माप्रिया"),
        ("ராமன்_1002_5002_q3_word2vec.py", "ராமன்"),
        ("ใจดีสมชาย_1003_5003_q3_word2vec.py", "ใจดีสมชาย"),
        ("mu\u0308llerzoe\u0301_1004_5004_q3_word2vec.py", "mu\u0308llerzoe\u0301"),
        ("王小明_1005_5005_q3_word2vec.py", "王小明"),
    ],
)
def test_parse_names_with_combining_marks(filename, name):
    c = parse(filename)
    assert c is not None, filename
    assert (c.name, c.user_id, c.original, c.anonymous) == (name, filename.split("_")[1], "q3_word2vec.py", False)


@pytest.mark.parametrize(
    ("filename", "late", "user", "sub", "original", "resubmission"),
    [
        # Anonymous grading: no name, and the anonymous id (5 base58 characters) in place of the user id.
        ("anon_Xy3Kp_5001_q3_word2vec.py", False, "anon_Xy3Kp", "5001", "q3_word2vec.py", 0),
        ("LATE_anon_Xy3Kp_5002_q1_softmax-1.py", True, "anon_Xy3Kp", "5002", "q1_softmax.py", 1),
    ],
)
def test_parse_an_anonymous_download(filename, late, user, sub, original, resubmission):
    assert parse(filename) == CanvasName(filename, "", late, user, sub, original, resubmission, anonymous=True)


def test_a_student_named_anon_is_not_an_anonymous_download():
    c = parse("anon_12345_5001_q3_word2vec.py")  # sortable name "Anon", user id 12345
    assert (c.name, c.user_id, c.anonymous) == ("anon", "12345", False)


def test_canvas_batch_needs_half_of_the_names():
    canvas_names = ["a_1_2_q1.py", "b_3_4_q1.py"]
    assert is_canvas_batch(canvas_names + ["stray.py"])
    assert is_canvas_batch(canvas_names + ["stray.py", "notes.txt"])
    assert not is_canvas_batch(canvas_names[:1] + ["alice.py", "bob.py"])
    assert not is_canvas_batch([])


def test_latest_keeps_the_highest_file_id_whatever_its_suffix():
    # Canvas numbers files as they are uploaded: the highest file id is the newest. "-N" only
    # says the student had a file of that name already (q3_word2vec.py was deleted, then
    # handed in again: its name is free, and its id the highest).
    names = [parse(f) for f in [
        "smithjohn_1_5_q3_word2vec-1.py",
        "smithjohn_1_9_q3_word2vec.py",
        "smithjohn_1_7_q3_word2vec-2.py",
        "smithjohn_1_3_q1_softmax.py",
        "smithjohn_1_4_q1_softmax.py",
    ]]
    kept, notes = latest(names)
    assert [k.filename for k in kept] == ["smithjohn_1_4_q1_softmax.py", "smithjohn_1_9_q3_word2vec.py"]
    assert notes == [
        "q1_softmax.py was handed in 2 times; graded the newest, smithjohn_1_4_q1_softmax.py "
        "(Canvas file id 4, the highest), not smithjohn_1_3_q1_softmax.py.",
        "q3_word2vec.py was handed in 3 times; graded the newest, smithjohn_1_9_q3_word2vec.py "
        "(Canvas file id 9, the highest), not smithjohn_1_5_q3_word2vec-1.py, smithjohn_1_7_q3_word2vec-2.py.",
    ]


def test_latest_orders_one_file_id_by_its_suffix():
    # two names Canvas shortened to one already in the zip: the same file id, "-1" added by the zip
    kept, _ = latest([parse("a_1_5_q1-1.py"), parse("a_1_5_q1.py")])
    assert [k.filename for k in kept] == ["a_1_5_q1-1.py"]


def test_latest_without_resubmissions_has_no_notes():
    kept, notes = latest([parse("a_1_2_q1.py"), parse("a_1_3_q3.py")])
    assert [k.original for k in kept] == ["q1.py", "q3.py"]
    assert notes == []


def test_latest_does_not_depend_on_order():
    files = ["a_1_2_q1-1.py", "a_1_9_q1.py", "a_1_5_q1-3.py"]
    first, _ = latest(parse(f) for f in files)
    second, _ = latest(parse(f) for f in reversed(files))
    assert first == second
    assert first[0].filename == "a_1_9_q1.py"


@pytest.mark.parametrize(
    ("filename", "name", "late", "user", "sub", "original"),
    [
        # Canvas keeps "_" (a word character) in a sortable name: "de_la Cruz, Ana", "O_Neil-Smith, Mary"
        ("de_la_cruzana_123_456_q3_word2vec.py", "de_la_cruzana", False, "123", "456", "q3_word2vec.py"),
        ("o_neilsmithmary_LATE_77_900_q1_softmax.py", "o_neilsmithmary", True, "77", "900", "q1_softmax.py"),
        ("smith_late_5_6_q1.py", "smith_late", False, "5", "6", "q1.py"),  # LATE is upper case: this is the name
        ("smith_2ndjohn_5_6_q1.py", "smith_2ndjohn", False, "5", "6", "q1.py"),
        ("__5_6_q1.py", "_", False, "5", "6", "q1.py"),
        # "_12_" is taken out of a sortable name before its other symbols: "Smith_ 12_John" keeps it
        ("smith_12_john_5_6_q1.py", "smith_12_john", False, "5", "6", "q1.py"),
        # a name with no word character at all (only symbols) is empty: "_<userid>_..."
        ("_123_456_q1.py", "", False, "123", "456", "q1.py"),
        ("_LATE_123_456_q1.py", "", True, "123", "456", "q1.py"),
    ],
)
def test_parse_names_holding_underscores(filename, name, late, user, sub, original):
    assert parse(filename) == CanvasName(filename, name, late, user, sub, original, 0)


@pytest.mark.parametrize(
    ("filename", "name", "late", "user", "entry", "anonymous"),
    [
        # Canvas writes a page for a text entry (<...>_text.html) and for a website URL (<...>_link.html)
        ("smithjohn_123_text.html", "smithjohn", False, "123", "text", False),
        ("smithjohn_LATE_123_link.html", "smithjohn", True, "123", "link", False),
        ("de_la_cruzana_123_text.html", "de_la_cruzana", False, "123", "text", False),
        ("anon_Xy3Kp_text.html", "", False, "anon_Xy3Kp", "text", True),
        ("LATE_anon_Xy3Kp_link.html", "", True, "anon_Xy3Kp", "link", True),
    ],
)
def test_parse_text_entries_and_links(filename, name, late, user, entry, anonymous):
    c = parse(filename)
    assert (c.name, c.late, c.user_id, c.submission_id, c.entry, c.anonymous) == (name, late, user, "", entry, anonymous)


def test_an_upload_named_text_html_is_a_file():
    c = parse("smithjohn_123_456_text.html")
    assert (c.name, c.user_id, c.submission_id, c.original, c.entry) == ("smithjohn", "123", "456", "text.html", "file")
    # and not mistaken for the text entry of the same student
    kept, notes = latest([c, parse("smithjohn_123_text.html")])
    assert [(k.original, k.entry) for k in kept] == [("text.html", "file"), ("text.html", "text")] and notes == []


def test_a_name_canvas_shortened_is_known():
    # Canvas cuts a name longer than 180 characters to 175, ending "...<ext>"
    long = "smithjohn_1_2_q3_word2vec_" + "x" * 200 + ".py"
    cut = long[:175 - len("....py")] + "....py"
    assert parse(cut).shortened and parse(cut).user_id == "1"
    assert not parse("smithjohn_1_2_q3_word2vec.py").shortened
    assert not parse(cut[:-10] + ".py").shortened  # 168 characters
    assert parse(("smithjohn_1_2_README" + "x" * 200)[:172] + "...").shortened


def test_read_download_tells_a_name_ending_in_digits_by_file_ids():
    from grader.canvas import read_download

    d = read_download(["lee_7_2004_6004_q1_softmax.py", "lee_7_2004_6005_q3_word2vec.py", "lee_7_2004_text.html",
                       "park_12_2005_6006_q3.py", "kim_3_2010_6011_q3.py", "kim_3_6012_q1.py",
                       "wu_LATE_9_2011_6013_q1.py", "ng_4_LATE_2012_6014_q1.py"])
    lee = [d.parse(f) for f in ("lee_7_2004_6004_q1_softmax.py", "lee_7_2004_6005_q3_word2vec.py")]
    assert [(c.name, c.user_id, c.submission_id, c.original) for c in lee] == [
        ("lee_7", "2004", "6004", "q1_softmax.py"), ("lee_7", "2004", "6005", "q3_word2vec.py")]
    assert (d.parse("lee_7_2004_text.html").entry, d.parse("lee_7_2004_text.html").user_id) == ("text", "2004")
    # a lone file: nothing tells, read as parse reads it and said
    assert d.parse("park_12_2005_6006_q3.py").user_id == "12" and d.unresolved == {"park_12_2005_6006_q3.py": "2005"}
    # kim (user 3) handed in a file that reads one way only: its other file is theirs too
    assert d.parse("kim_3_2010_6011_q3.py").user_id == "3"
    # "_LATE" follows the name: no second reading either side of it
    assert d.parse("wu_LATE_9_2011_6013_q1.py").user_id == "9" and d.parse("ng_4_LATE_2012_6014_q1.py").user_id == "2012"


def test_read_download_takes_a_zip_and_the_folder_it_unpacked_to_for_one_file():
    from grader.canvas import read_download

    # smithjohn (user 1001)'s 2_hw.zip, and the folder it unpacked to: one file id, one file
    d = read_download(["smithjohn_1001_5001_2_hw.zip", "smithjohn_1001_5001_2_hw"])
    assert d.parse("smithjohn_1001_5001_2_hw.zip").user_id == "1001" and not d.resolved


def test_read_download_knows_a_user_id_by_the_name_another_file_gives_it():
    from grader.canvas import read_download

    # user 12 is doejane (her file reads one way only): park_12's lone file is not user 12's
    d = read_download(["doejane_12_5001_q3.py", "park_12_2005_6006_q3.py"])
    c = d.parse("park_12_2005_6006_q3.py")
    assert (c.name, c.user_id, c.submission_id, c.original) == ("park_12", "2005", "6006", "q3.py")
    assert not d.unresolved and "user 12 is doejane" in d.resolved["park_12_2005_6006_q3.py"]
