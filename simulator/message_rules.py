"""LINE's rules for message objects in reply, push and multicast requests.

Each check returns LINE-style error details: `{"message": ..., "property": "messages[0].text"}`.
Lengths are counted as LINE counts them, in UTF-16 code units (an emoji outside the BMP is 2).
"""

import json
from typing import Any

Detail = dict[str, str]

# LINE also sends video, audio, textV2 and coupon messages; madoguchi must not, so the
# simulator refuses them to catch the mistake early.
SENDABLE_TYPES = ("text", "sticker", "image", "location", "template", "flex", "imagemap")
ACTION_TYPES = (
    "postback",
    "message",
    "uri",
    "datetimepicker",
    "camera",
    "cameraRoll",
    "location",
    "richmenuswitch",
    "clipboard",
)
MAX_MESSAGES = 5
MAX_TEXT = 5000
MAX_QUICK_REPLY_ITEMS = 13
MAX_QUICK_REPLY_LABEL = 20
MAX_POSTBACK_DATA = 300
MAX_FLEX_ALT_TEXT = 1500
MAX_TEMPLATE_ALT_TEXT = 400
# Flex containers are limited by the size of their JSON.
MAX_BUBBLE_BYTES = 30 * 1024
MAX_CAROUSEL_BYTES = 50 * 1024


def utf16_len(text: str) -> int:
    """Return the length of `text` in UTF-16 code units, the unit of LINE's limits."""
    return len(text.encode("utf-16-le")) // 2


def detail(message: str, prop: str) -> Detail:
    """Return one LINE error detail."""
    return {"message": message, "property": prop}


def join(path: str, key: str) -> str:
    """Return the property name of `key` inside `path` ("" is the request body itself)."""
    return f"{path}.{key}" if path else key


def check_text(
    obj: dict[str, Any], key: str, path: str, max_len: int, *, required: bool = True
) -> list[Detail]:
    """Check that obj[key] is a string of 1..max_len units (or absent when optional)."""
    prop = join(path, key)
    value = obj.get(key)
    if value is None:
        return [detail("must be specified", prop)] if required else []
    if not isinstance(value, str):
        return [detail("must be a string", prop)]
    if required and value == "":
        return [detail("may not be empty", prop)]
    if utf16_len(value) > max_len:
        return [detail(f"Length must be between 0 and {max_len}", prop)]
    return []


def check_https_url(obj: dict[str, Any], key: str, path: str) -> list[Detail]:
    """Check a required HTTPS URL of at most 2,000 characters."""
    problems = check_text(obj, key, path, 2000)
    if not problems and not obj[key].startswith("https://"):
        problems.append(detail("must be an HTTPS URL", join(path, key)))
    return problems


def check_size(items: Any, prop: str, low: int, high: int) -> list[Detail]:
    """Check that `items` is a list with low..high elements."""
    if not isinstance(items, list):
        return [detail("must be specified", prop)]
    if not low <= len(items) <= high:
        return [detail(f"Size must be between {low} and {high}", prop)]
    return []


def check_messages(messages: Any) -> list[Detail]:
    """Check the `messages` array of a send request."""
    problems = check_size(messages, "messages", 1, MAX_MESSAGES)
    if problems:
        return problems
    for index, message in enumerate(messages):
        problems += check_message(message, f"messages[{index}]")
    return problems


def check_message(message: Any, path: str) -> list[Detail]:
    """Check one message object: its type's own rules, then quick reply and sender."""
    if not isinstance(message, dict):
        return [detail("must be an object", path)]
    kind = message.get("type")
    if kind not in SENDABLE_TYPES:
        values = ", ".join(SENDABLE_TYPES)
        return [detail(f"Must be one of the following values: [{values}]", f"{path}.type")]
    problems = _BY_TYPE[kind](message, path)
    if "quickReply" in message:
        problems += check_quick_reply(message["quickReply"], f"{path}.quickReply")
    if "sender" in message:
        problems += check_sender(message["sender"], f"{path}.sender")
    return problems


def check_text_message(message: dict[str, Any], path: str) -> list[Detail]:
    """Text: 1..5,000 UTF-16 units."""
    return check_text(message, "text", path, MAX_TEXT)


def check_sticker_message(message: dict[str, Any], path: str) -> list[Detail]:
    """Sticker: package and sticker ids."""
    return check_text(message, "packageId", path, 100) + check_text(message, "stickerId", path, 100)


def check_image_message(message: dict[str, Any], path: str) -> list[Detail]:
    """Image: HTTPS original and preview URLs."""
    return check_https_url(message, "originalContentUrl", path) + check_https_url(
        message, "previewImageUrl", path
    )


def check_location_message(message: dict[str, Any], path: str) -> list[Detail]:
    """Location: title and address of at most 100 characters, numeric coordinates."""
    problems = check_text(message, "title", path, 100) + check_text(message, "address", path, 100)
    for key in ("latitude", "longitude"):
        value = message.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(detail("must be a number", f"{path}.{key}"))
    return problems


def check_flex_message(message: dict[str, Any], path: str) -> list[Detail]:
    """Flex: alt text, a bubble or a carousel of up to 12 bubbles, within LINE's size limits."""
    problems = check_text(message, "altText", path, MAX_FLEX_ALT_TEXT)
    contents = message.get("contents")
    prop = f"{path}.contents"
    if not isinstance(contents, dict):
        return [*problems, detail("must be specified", prop)]
    kind = contents.get("type")
    if kind == "carousel":
        problems += check_size(contents.get("contents"), f"{prop}.contents", 1, 12)
        limit = MAX_CAROUSEL_BYTES
    elif kind == "bubble":
        limit = MAX_BUBBLE_BYTES
    else:
        return [
            *problems,
            detail("Must be one of the following values: [bubble, carousel]", f"{prop}.type"),
        ]
    size = len(json.dumps(contents, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    if size > limit:
        problems.append(detail(f"Size must be at most {limit} bytes", prop))
    return problems + check_nested_actions(contents, prop)


def check_template_message(message: dict[str, Any], path: str) -> list[Detail]:
    """Template: alt text of at most 400 characters and a buttons/confirm/carousel template."""
    problems = check_text(message, "altText", path, MAX_TEMPLATE_ALT_TEXT)
    template = message.get("template")
    prop = f"{path}.template"
    if not isinstance(template, dict):
        return [*problems, detail("must be specified", prop)]
    kind = template.get("type")
    if kind == "buttons":
        with_header = "title" in template or "thumbnailImageUrl" in template
        problems += check_text(template, "title", prop, 40, required=False)
        problems += check_text(template, "text", prop, 60 if with_header else 160)
        problems += check_template_actions(template, prop, 1, 4)
    elif kind == "confirm":
        problems += check_text(template, "text", prop, 240)
        problems += check_template_actions(template, prop, 2, 2)
    elif kind in ("carousel", "image_carousel"):
        columns = template.get("columns")
        problems += check_size(columns, f"{prop}.columns", 1, 10)
        for index, column in enumerate(columns if isinstance(columns, list) else []):
            problems += check_column(kind, column, f"{prop}.columns[{index}]")
    else:
        values = "[buttons, confirm, carousel, image_carousel]"
        problems.append(detail(f"Must be one of the following values: {values}", f"{prop}.type"))
    return problems


def check_column(kind: str, column: Any, path: str) -> list[Detail]:
    """Check one carousel or image carousel column."""
    if not isinstance(column, dict):
        return [detail("must be an object", path)]
    if kind == "image_carousel":
        problems = check_https_url(column, "imageUrl", path)
        return problems + check_action(column.get("action"), f"{path}.action", label_max=12)
    with_header = "title" in column or "thumbnailImageUrl" in column
    problems = check_text(column, "title", path, 40, required=False)
    problems += check_text(column, "text", path, 60 if with_header else 120)
    return problems + check_template_actions(column, path, 1, 3)


def check_template_actions(obj: dict[str, Any], path: str, low: int, high: int) -> list[Detail]:
    """Check a template's `actions` array and each action in it (labels of at most 20)."""
    actions = obj.get("actions")
    problems = check_size(actions, f"{path}.actions", low, high)
    if problems:
        return problems
    for index, action in enumerate(actions):
        problems += check_action(action, f"{path}.actions[{index}]", label_max=20)
    if "defaultAction" in obj:
        problems += check_action(obj["defaultAction"], f"{path}.defaultAction")
    return problems


def check_imagemap_message(message: dict[str, Any], path: str) -> list[Detail]:
    """Imagemap: base URL, alt text, base size and 1..50 actions."""
    problems = check_https_url(message, "baseUrl", path)
    problems += check_text(message, "altText", path, MAX_TEMPLATE_ALT_TEXT)
    if not isinstance(message.get("baseSize"), dict):
        problems.append(detail("must be specified", f"{path}.baseSize"))
    return problems + check_size(message.get("actions"), f"{path}.actions", 1, 50)


def check_quick_reply(quick_reply: Any, path: str) -> list[Detail]:
    """Quick reply: 1..13 items, each an action with a label of at most 20 characters."""
    items = quick_reply.get("items") if isinstance(quick_reply, dict) else None
    prop = f"{path}.items"
    if not isinstance(items, list) or not items:
        return [detail(f"Size must be between 1 and {MAX_QUICK_REPLY_ITEMS}", prop)]
    if len(items) > MAX_QUICK_REPLY_ITEMS:
        # Name the first item past the limit, so the report points at what to cut.
        return [
            detail(
                f"Size must be between 1 and {MAX_QUICK_REPLY_ITEMS}",
                f"{prop}[{MAX_QUICK_REPLY_ITEMS}]",
            )
        ]
    problems: list[Detail] = []
    for index, item in enumerate(items):
        item_path = f"{prop}[{index}]"
        if not isinstance(item, dict) or item.get("type", "action") != "action":
            problems.append(detail("must be an action item", item_path))
            continue
        problems += check_action(
            item.get("action"),
            f"{item_path}.action",
            label_max=MAX_QUICK_REPLY_LABEL,
            label_required=True,
        )
    return problems


def check_sender(sender: Any, path: str) -> list[Detail]:
    """Sender: a name of at most 20 characters and an HTTPS icon URL."""
    if not isinstance(sender, dict):
        return [detail("must be an object", path)]
    problems = check_text(sender, "name", path, 20, required=False)
    if "iconUrl" in sender:
        problems += check_https_url(sender, "iconUrl", path)
    return problems


def check_action(
    action: Any, path: str, *, label_max: int | None = None, label_required: bool = False
) -> list[Detail]:
    """Check one action object by its type (postback data and display text of at most 300)."""
    if not isinstance(action, dict):
        return [detail("must be specified", path)]
    kind = action.get("type")
    if kind not in ACTION_TYPES:
        values = ", ".join(ACTION_TYPES)
        return [detail(f"Must be one of the following values: [{values}]", f"{path}.type")]
    problems: list[Detail] = []
    if label_max is not None:
        problems += check_text(action, "label", path, label_max, required=label_required)
    if kind == "postback":
        problems += check_text(action, "data", path, MAX_POSTBACK_DATA)
        problems += check_text(action, "displayText", path, 300, required=False)
        problems += check_text(action, "text", path, 300, required=False)
        if "displayText" in action and "text" in action:
            problems.append(detail("displayText and text cannot both be set", path))
    elif kind == "message":
        problems += check_text(action, "text", path, 300)
    elif kind == "uri":
        problems += check_text(action, "uri", path, 1000)
    elif kind == "datetimepicker":
        problems += check_text(action, "data", path, MAX_POSTBACK_DATA)
        if action.get("mode") not in ("date", "time", "datetime"):
            problems.append(
                detail(
                    "Must be one of the following values: [date, time, datetime]", f"{path}.mode"
                )
            )
    elif kind == "richmenuswitch":
        problems += check_text(action, "richMenuAliasId", path, 32)
        problems += check_text(action, "data", path, MAX_POSTBACK_DATA)
    elif kind == "clipboard":
        problems += check_text(action, "clipboardText", path, 1000)
    return problems


def check_nested_actions(node: Any, path: str) -> list[Detail]:
    """Check every `action` object anywhere inside a flex container."""
    problems: list[Detail] = []
    if isinstance(node, dict):
        for key, value in node.items():
            child = f"{path}.{key}"
            if key == "action" and isinstance(value, dict):
                problems += check_action(value, child)
            else:
                problems += check_nested_actions(value, child)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            problems += check_nested_actions(value, f"{path}[{index}]")
    return problems


_BY_TYPE = {
    "text": check_text_message,
    "sticker": check_sticker_message,
    "image": check_image_message,
    "location": check_location_message,
    "template": check_template_message,
    "flex": check_flex_message,
    "imagemap": check_imagemap_message,
}
