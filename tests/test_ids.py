"""Tests for grader.ids: ids safe as folder names and in HTML, unique within a batch."""

import re

import pytest

from grader.ids import EMPTY_ID, MAX_ID_LENGTH, safe_id, unique_ids

SAFE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("alice", "alice"),
        ("alice.v2", "alice.v2"),
        ("Zoë Smith", "Zoe_Smith"),
        ("José  García", "Jose_Garcia"),
        ("张三", "x5f20x4e09"),
        ("straße", "strax00dfe"),
        ("<script>alert(1)</script>", "_script_alert_1_script_"),
        ("../../etc/passwd", "_etc_passwd"),
        ("a/b\\c", "a_b_c"),
        ("a..b", "a_b"),
        ("alice_-_v2", "alice_v2"),
        (".hidden", "hidden"),
        ("-rf", "rf"),
        ("name.", "name"),
        ("", EMPTY_ID),
        ("...", EMPTY_ID),
        ("///", EMPTY_ID),
        ("CON", "CON_"),
        ("con.txt", "con.txt_"),
        ("lpt1", "lpt1_"),
        ("a\x00b\nc", "a_b_c"),
        ("ﬁle", "file"),
    ],
)
def test_safe_id(name, expected):
    assert safe_id(name) == expected
    assert SAFE.match(safe_id(name))


def test_long_names_are_cut_and_stay_distinct():
    a, b = "x" * 300 + "a", "x" * 300 + "b"
    assert len(safe_id(a)) == MAX_ID_LENGTH
    assert safe_id(a) != safe_id(b)
    assert safe_id(a).startswith("x" * 55 + "-")
    assert SAFE.match(safe_id(a))


def test_same_id_gets_numbered_in_sorted_order():
    assert unique_ids(["alice", "alice!"]) == ["alice", "alice_"]
    assert unique_ids(["a b", "a<b"]) == ["a_b", "a_b-2"]
    assert unique_ids(["a<b", "a b"]) == ["a_b-2", "a_b"]


def test_equal_names_are_all_kept():
    assert unique_ids(["alice", "alice", "alice"]) == ["alice", "alice-2", "alice-3"]


def test_numbering_never_takes_another_entrys_own_id():
    # "a b" and "a<b" both want "a_b"; "a_b-2" is someone's own name and keeps its id.
    assert unique_ids(["a b", "a<b", "a_b-2"]) == ["a_b", "a_b-3", "a_b-2"]


def test_ids_differ_without_case():
    ids = unique_ids(["Alice", "alice"])
    assert ids == ["Alice", "alice-2"]
    assert len({i.lower() for i in ids}) == 2


def test_result_does_not_depend_on_input_order():
    names = ["bob", "b o b", "b<o>b", "BOB", "zed"]
    forward = dict(zip(names, unique_ids(names)))
    backward = dict(zip(names[::-1], unique_ids(names[::-1])))
    assert forward == backward


def test_suffix_keeps_long_ids_within_the_cap():
    name = "y" * 100
    ids = unique_ids([name, name])
    assert [len(i) for i in ids] == [MAX_ID_LENGTH, MAX_ID_LENGTH]
    assert ids[1].endswith("-2") and ids[0] != ids[1]
