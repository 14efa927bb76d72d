"""The test settings turn deprecations raised from our own code into errors (pyproject)."""

import warnings

import pytest


@pytest.mark.parametrize("category", [DeprecationWarning, PendingDeprecationWarning])
def test_deprecation_from_our_code_fails_the_run(category):
    with pytest.raises(category):
        warnings.warn_explicit("old", category, "conf.py", 1, module="rtcpool_django.conf")


def test_deprecation_inside_a_third_party_module_does_not():
    with warnings.catch_warnings(record=True) as caught:
        warnings.warn_explicit("old", DeprecationWarning, "x.py", 1, module="somelib.x")
    assert [w.category for w in caught] == [DeprecationWarning]
