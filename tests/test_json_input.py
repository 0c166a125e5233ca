"""JSON from clients is measured for nesting before it is decoded."""

import json

import pytest

from config.json_input import MAX_DEPTH, JSONTooDeep, json_depth, json_loads


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("1", 0),
        ('"[[["', 0),
        ("[]", 1),
        ('{"a": [{"b": []}]}', 4),
        ('["[", {"a": "]]]"}]', 2),
        ('["\\"[[", "\\\\"]', 1),  # an escaped quote does not end a string, a quoted backslash does
        ("[1, 2, [3", 2),  # malformed: an upper bound of what a decoder would enter
        ('[[1, "abc', 2),  # an unterminated string holds the rest of the text
    ],
)
def test_depth_counts_arrays_and_objects_outside_strings(text, depth):
    assert json_depth(text) == depth


def test_text_up_to_the_limit_is_decoded():
    text = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert json_loads(text) == json.loads(text)


def test_text_nested_deeper_is_refused_before_decoding():
    with pytest.raises(JSONTooDeep, match=f"at most {MAX_DEPTH} levels"):
        json_loads("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    with pytest.raises(JSONTooDeep):
        json_loads("[" * 100_000)  # malformed, and deep before it ends


def test_a_refusal_is_a_value_error_like_any_malformed_json():
    assert issubclass(JSONTooDeep, ValueError)
