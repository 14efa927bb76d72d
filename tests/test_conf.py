"""The RTCPOOL settings dict: a bad import string says which key holds it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from rtcpool_django.conf import rtcpool_settings

from . import policies


@pytest.mark.parametrize(
    "path", ["rtcpool_django.policy.no_such_hook", "no_such_module.admit", "not-a-path"]
)
def test_a_bad_import_string_names_its_key_and_the_string(path):
    hooks = {"ADMIT_PEER": path}
    with override_settings(RTCPOOL=hooks), pytest.raises(ImproperlyConfigured) as raised:
        rtcpool_settings.ADMIT_PEER  # noqa: B018 (the attribute read imports it)
    assert f"RTCPOOL['ADMIT_PEER'] = {path!r}" in str(raised.value)
    assert isinstance(raised.value.__cause__, ImportError)


def test_a_good_import_string_is_imported():
    with override_settings(RTCPOOL={"ADMIT_PEER": "tests.policies.only_staff_in_vip"}):
        assert rtcpool_settings.ADMIT_PEER is policies.only_staff_in_vip
