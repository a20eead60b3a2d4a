"""Open311 services without HTTP: every taxonomy path has one code, and what a service says."""

from __future__ import annotations

import re

from config import open311 as spec
from config.taxonomy import FALLBACK_PATH, all_paths
from handlers.open311.services import (
    path_for_code,
    service_code_for,
    service_definition,
    service_list,
)
from tests.handlers.open311.test_requests import refusal


def test_every_taxonomy_path_has_exactly_one_code_and_no_two_share_one() -> None:
    paths = all_paths()
    assert set(spec.SERVICE_CODES) == set(paths)
    codes = [spec.SERVICE_CODES[path] for path in paths]
    assert len(set(codes)) == len(codes) == len(paths)
    for path, code in spec.SERVICE_CODES.items():
        assert re.fullmatch(r"[a-z]+-[a-z]+", code), code
        assert path_for_code(code) == path
    assert service_code_for("城乡建设/物业管理") == "cxjs-wygl"
    assert service_code_for("no/such") == spec.SERVICE_CODES[FALLBACK_PATH]


def test_services_are_the_second_levels_grouped_by_the_first() -> None:
    services = service_list()
    assert len(services) == len(all_paths()) + 1  # and the suggestion service (人民建议)
    wygl = next(s for s in services if s["service_code"] == "cxjs-wygl")
    assert wygl["service_name"] == "物业管理" and wygl["group"] == "城乡建设"
    assert wygl["metadata"] is False and wygl["type"] == "realtime"
    assert "物业" in wygl["keywords"].split(", ") and "物业管理" in wygl["description"]
    assert service_definition("cxjs-wygl") == {"service_code": "cxjs-wygl", "attributes": []}
    assert refusal(service_definition, "nope").status == 404
