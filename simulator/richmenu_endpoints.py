"""The rich menu endpoints a bot uses to set up its default menu."""

from typing import Any

from simulator.api_core import ApiCall, ApiResponse, LineError, invalid_body, ok
from simulator.ids import new_rich_menu_id
from simulator.message_rules import Detail, check_action, check_size, check_text, detail

MAX_IMAGE_BYTES = 1024 * 1024
IMAGE_TYPES = ("image/png", "image/jpeg")
MIN_ASPECT_RATIO = 1.45


def check_rich_menu(body: dict[str, Any]) -> list[Detail]:
    """Check a rich menu object against LINE's rules (size, name, chat bar text, 1..20 areas)."""
    problems: list[Detail] = []
    size = body.get("size")
    if not isinstance(size, dict):
        problems.append(detail("must be specified", "size"))
    else:
        width, height = size.get("width"), size.get("height")
        if not isinstance(width, int) or not 800 <= width <= 2500:
            problems.append(detail("must be between 800 and 2500", "size.width"))
        elif not isinstance(height, int) or height < 250 or width / height < MIN_ASPECT_RATIO:
            problems.append(
                detail("must be at least 250, and width/height at least 1.45", "size.height")
            )
    if not isinstance(body.get("selected"), bool):
        problems.append(detail("must be specified", "selected"))
    problems += check_text(body, "name", "", 300) + check_text(body, "chatBarText", "", 14)
    areas = body.get("areas")
    problems += check_size(areas, "areas", 1, 20)
    for index, area in enumerate(areas if isinstance(areas, list) else []):
        path = f"areas[{index}]"
        if not isinstance(area, dict) or not isinstance(area.get("bounds"), dict):
            problems.append(detail("must be specified", f"{path}.bounds"))
            continue
        problems += check_action(area.get("action"), f"{path}.action", label_max=20)
    return problems


def create(call: ApiCall) -> ApiResponse:
    """Store a rich menu and return its new id."""
    body = _valid_menu(call)
    rich_menu_id = new_rich_menu_id()
    with call.state.lock:
        call.state.rich_menus.menus[rich_menu_id] = {"richMenuId": rich_menu_id, **body}
    return ok({"richMenuId": rich_menu_id})


def validate(call: ApiCall) -> ApiResponse:
    """Check a rich menu object without storing it."""
    _valid_menu(call)
    return ok()


def upload_image(call: ApiCall) -> ApiResponse:
    """Attach the image of a rich menu; LINE allows this once per menu."""
    if call.content_type not in IMAGE_TYPES:
        raise LineError(415, "Unsupported Media Type")
    if not call.raw or len(call.raw) > MAX_IMAGE_BYTES:
        raise LineError(400, "The image must be between 1 byte and 1 MB")
    menus = call.state.rich_menus
    with call.state.lock:
        rich_menu_id = _known(call)
        if rich_menu_id in menus.images:
            raise LineError(400, "An image has already been uploaded to the richmenu")
        menus.images[rich_menu_id] = (call.content_type, call.raw)
    return ok()


def download_image(call: ApiCall) -> ApiResponse:
    """Return the image of a rich menu."""
    with call.state.lock:
        image = call.state.rich_menus.images.get(_known(call))
    if image is None:
        raise LineError(404, "Not found")
    return ApiResponse(200, image[1], content_type=image[0])


def get(call: ApiCall) -> ApiResponse:
    """Return one rich menu."""
    with call.state.lock:
        return ok(call.state.rich_menus.menus[_known(call)])


def list_all(call: ApiCall) -> ApiResponse:
    """Return every rich menu."""
    with call.state.lock:
        return ok({"richmenus": list(call.state.rich_menus.menus.values())})


def delete(call: ApiCall) -> ApiResponse:
    """Delete a rich menu, and stop using it as the default."""
    menus = call.state.rich_menus
    with call.state.lock:
        rich_menu_id = _known(call)
        del menus.menus[rich_menu_id]
        menus.images.pop(rich_menu_id, None)
        if menus.default_id == rich_menu_id:
            menus.default_id = None
    return ok()


def set_default(call: ApiCall) -> ApiResponse:
    """Show a rich menu to everyone; it needs its image first."""
    menus = call.state.rich_menus
    with call.state.lock:
        rich_menu_id = _known(call)
        if rich_menu_id not in menus.images:
            raise LineError(400, "must upload richmenu image before applying it to user")
        menus.default_id = rich_menu_id
    return ok()


def get_default(call: ApiCall) -> ApiResponse:
    """Return the id of the default rich menu."""
    with call.state.lock:
        default_id = call.state.rich_menus.default_id
    if default_id is None:
        raise LineError(404, "no default richmenu")
    return ok({"richMenuId": default_id})


def cancel_default(call: ApiCall) -> ApiResponse:
    """Stop showing a default rich menu."""
    with call.state.lock:
        call.state.rich_menus.default_id = None
    return ok()


def _valid_menu(call: ApiCall) -> dict[str, Any]:
    body = call.json_object()
    details = check_rich_menu(body)
    if details:
        raise invalid_body(details)
    return body


def _known(call: ApiCall) -> str:
    rich_menu_id = call.params["rich_menu_id"]
    if rich_menu_id not in call.state.rich_menus.menus:
        raise LineError(404, "Not found")
    return rich_menu_id
