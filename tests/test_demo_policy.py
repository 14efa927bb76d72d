"""The example project's INITIAL_DESCRIPTION hook: display names from ?name=."""

import pytest

from example_project.demo.policy import initial_description


@pytest.mark.parametrize(
    ("query_string", "expected"),
    [
        (b"name=Ada", {"name": "Ada"}),
        (b"name=Ada%20%20Lovelace%0A", {"name": "Ada Lovelace"}),
        (b"name=%C3%89mile&x=1", {"name": "Émile"}),
        (b"name=" + b"x" * 100, {"name": "x" * 40}),
        (b"name=%20%20", None),
        (b"", None),
    ],
)
def test_the_name_in_the_query_string_describes_the_peer(query_string, expected):
    assert initial_description({"query_string": query_string}, None, None) == expected


def test_the_example_project_uses_it(settings):
    from rtcpool_django.conf import rtcpool_settings

    assert rtcpool_settings.INITIAL_DESCRIPTION is initial_description
