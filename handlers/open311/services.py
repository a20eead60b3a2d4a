"""What a client may ask for: our services, their codes, the jurisdiction and discovery.

A service is a taxonomy path (its second level, grouped by the first); ``config.open311`` gives
each a stable code. We ask for nothing beyond GeoReport's common fields, so no service has
attributes.
"""

from __future__ import annotations

from typing import Any

from config import open311 as spec
from config.settings import Settings
from config.taxonomy import FALLBACK_PATH, TAXONOMY, Category
from handlers.open311.common import Open311Error


def service_code_for(path: str) -> str:
    """The code of a taxonomy path; a path outside the taxonomy counts as the fallback's."""
    return spec.SERVICE_CODES.get(path) or spec.SERVICE_CODES[FALLBACK_PATH]


def path_for_code(code: str) -> str | None:
    return _paths_by_code().get(code)


def _paths_by_code() -> dict[str, str]:
    return {code: path for path, code in spec.SERVICE_CODES.items()}


def service_json(category: Category) -> dict[str, Any]:
    examples = "、".join(category.keywords[: spec.SERVICE_EXAMPLES])
    return {
        "service_code": service_code_for(category.path),
        "service_name": category.name,
        "description": spec.SERVICE_DESCRIPTION.format(
            group=category.parent, name=category.name, examples=examples
        ),
        "metadata": False,
        "type": "realtime",
        "keywords": ", ".join(category.keywords[: spec.SERVICE_KEYWORDS]),
        "group": category.parent,
    }


def suggestion_service_json() -> dict[str, Any]:
    """The service whose requests are suggestions (人民建议), not cases."""
    about = spec.SUGGESTION_SERVICE
    return {
        "service_code": spec.SUGGESTION_SERVICE_CODE,
        "service_name": about["service_name"],
        "description": about["description"],
        "metadata": False,
        "type": "realtime",
        "keywords": about["keywords"],
        "group": about["group"],
    }


def service_list() -> list[dict[str, Any]]:
    return [*(service_json(category) for category in TAXONOMY), suggestion_service_json()]


def service_definition(code: str) -> dict[str, Any]:
    """We ask for nothing beyond the common fields, so every definition lists no attributes."""
    if path_for_code(code) is None and code != spec.SUGGESTION_SERVICE_CODE:
        raise Open311Error(404, f"service_code {code!r} not found; see services.json")
    return {"service_code": code, "attributes": []}


def check_jurisdiction(settings: Settings, given: str | None) -> None:
    """Optional while we serve one jurisdiction; when one is configured, another is a 404."""
    value = (given or "").strip()
    if value and settings.open311_jurisdiction and value != settings.open311_jurisdiction:
        raise Open311Error(
            404,
            f"jurisdiction_id {value[:64]!r} not found; this endpoint serves "
            f"{settings.open311_jurisdiction!r}",
        )


def discovery(base_url: str, settings: Settings) -> dict[str, Any]:
    return {
        "changeset": spec.CHANGESET,
        "contact": spec.DISCOVERY_CONTACT,
        "key_service": spec.DISCOVERY_KEY_SERVICE,
        "endpoints": [
            {
                "specification": spec.SPECIFICATION,
                "url": base_url.rstrip("/") + spec.PATH_PREFIX,
                "changeset": spec.CHANGESET,
                "type": "test" if settings.demo else "production",
                "formats": list(spec.FORMATS),
            }
        ],
    }
