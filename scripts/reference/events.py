"""Reading, validating and de-duplicating events per EVENTS.md ("Invalid input").

`read_events(paths)` returns the valid, unique events in arrival order plus the line
counts. Validation is written from the contract's tables, field by field, so that it can
disagree with convolens: a listed optional field of the wrong type is invalid too (the
contract types every listed field), null means "absent", unlisted fields are ignored.
"""

import dataclasses
import gzip
import json
import math
import sys

from rfc3339 import TimeError, parse_occurred_at

MAX_LINE_BYTES = 1024 * 1024
MAX_TEXT_BYTES = 64 * 1024
MAX_ID_CHARS = 128
MAX_EMBEDDING_LEN = 4096
SUPPORTED_SCHEMA_VERSION = 1
DEFAULT_TENANT = "default"
DEFAULT_CSAT_SCALE = 5

CHANNELS = ("chat", "messaging", "voice", "email", "social", "other")
ACTORS = ("customer", "bot", "agent")
HANDOFF_REASONS = ("low_confidence", "customer_request", "policy", "error", "other")
DISPOSITIONS = ("resolved", "unresolved", "abandoned")
ENDED_BY = ("customer", "bot", "agent", "system")


class Invalid(Exception):
    """The line is dead-lettered; the message is the reason."""


@dataclasses.dataclass
class Event:
    arrival: int  # position among all non-blank input lines, across files
    event_id: str
    event_type: str
    conversation_id: str
    tenant_id: str
    occurred_at: int  # epoch microseconds, UTC
    seq: object  # int or None
    customer_id: object  # str or None
    channel: object  # str or None
    fields: dict  # the whole parsed object, for type-specific fields

    def get(self, name, default=None):
        value = self.fields.get(name)
        return default if value is None else value


@dataclasses.dataclass
class Counts:
    valid_unique_events: int = 0
    duplicate_lines: int = 0
    invalid_lines: int = 0
    lines: int = 0


# ---- field checks: each takes the field's (non-null) value and raises Invalid -------------


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _finite(value):
    try:
        return math.isfinite(float(value))
    except OverflowError:  # a JSON integer too large for float
        return False


def non_empty_string(value, name):
    if not isinstance(value, str) or value == "":
        raise Invalid(f"{name} must be a non-empty string")


def any_string(value, name):
    if not isinstance(value, str):
        raise Invalid(f"{name} must be a string")


def identifier(value, name):
    non_empty_string(value, name)
    if len(value) > MAX_ID_CHARS:
        raise Invalid(f"{name} longer than {MAX_ID_CHARS} characters")


def boolean(value, name):
    if not isinstance(value, bool):
        raise Invalid(f"{name} must be a boolean")


def finite_number(value, name):
    if not _is_number(value) or not _finite(value):
        raise Invalid(f"{name} must be a finite number")


def probability(value, name):
    finite_number(value, name)
    if not 0 <= value <= 1:
        raise Invalid(f"{name} must be in [0, 1]")


def non_negative_number(value, name):
    finite_number(value, name)
    if value < 0:
        raise Invalid(f"{name} must be >= 0")


def integer(value, name):
    # A JSON integer literal; 5.0 is a float and not an integer for a typed reader.
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid(f"{name} must be an integer")


def one_of(choices):
    def check(value, name):
        if not isinstance(value, str) or value not in choices:
            raise Invalid(f"{name} must be one of {', '.join(choices)}")

    return check


def text(value, name):
    any_string(value, name)
    if len(value.encode("utf-8")) > MAX_TEXT_BYTES:
        raise Invalid(f"{name} longer than 64 KiB")


def ranking(value, name):
    if not isinstance(value, list):
        raise Invalid(f"{name} must be an array")
    for entry in value:
        if not isinstance(entry, dict):
            raise Invalid(f"{name} entries must be objects")
        non_empty_string(entry.get("intent"), f"{name}.intent")
        finite_number(entry.get("confidence"), f"{name}.confidence")


def embedding(value, name):
    if not isinstance(value, list):
        raise Invalid(f"{name} must be an array")
    if len(value) > MAX_EMBEDDING_LEN:
        raise Invalid(f"{name} longer than {MAX_EMBEDDING_LEN}")
    for number in value:
        finite_number(number, f"{name} entry")


# (required, optional) fields per known event_type, straight from EVENTS.md's table.
EVENT_FIELDS = {
    "conversation_started": ({}, {"locale": any_string, "bot_version": any_string}),
    "message": ({"actor": one_of(ACTORS)}, {"text": text}),
    "intent_predicted": (
        {"intent": non_empty_string, "confidence": probability, "model": non_empty_string},
        {"model_version": any_string, "is_oos": boolean, "ranking": ranking, "embedding": embedding},
    ),
    "tool_call": ({"tool": non_empty_string}, {"latency_ms": non_negative_number, "ok": boolean}),
    "kb_lookup": ({"hit": boolean}, {"article_id": any_string, "score": finite_number, "query": any_string}),
    "handoff_requested": ({"reason": one_of(HANDOFF_REASONS)}, {"queue": any_string}),
    "agent_assigned": ({"agent_id": non_empty_string}, {}),
    "hold_started": ({}, {"agent_id": any_string}),
    "hold_ended": ({}, {"agent_id": any_string}),
    "agent_released": ({}, {"agent_id": any_string}),
    "wrapup_completed": ({}, {"agent_id": any_string}),
    "queue_abandoned": ({}, {}),
    "conversation_ended": ({"disposition": one_of(DISPOSITIONS)}, {"ended_by": one_of(ENDED_BY)}),
    "csat_submitted": ({"score": integer}, {"scale": integer, "comment": any_string}),
    "intent_labeled": (
        {"prediction_event_id": non_empty_string, "true_intent": non_empty_string},
        {"labeler": any_string},
    ),
}

ENVELOPE_OPTIONAL = {
    "tenant_id": any_string,
    "customer_id": any_string,
    "channel": one_of(CHANNELS),
    "schema_version": integer,
}


def _check_fields(obj, required, optional):
    for name, check in required.items():
        value = obj.get(name)
        if value is None:
            raise Invalid(f"missing required field {name}")
        check(value, name)
    for name, check in optional.items():
        value = obj.get(name)
        if value is not None:
            check(value, name)


def _check_csat_range(obj):
    scale = obj.get("scale")
    scale = DEFAULT_CSAT_SCALE if scale is None else scale
    if not 2 <= scale <= 10:
        raise Invalid("scale must be an integer in 2..10")
    if not 1 <= obj["score"] <= scale:
        raise Invalid("score must be an integer in 1..scale")


def _reject_json_constant(name):
    # Python's json accepts NaN/Infinity; they are not JSON (RFC 8259).
    raise ValueError(f"not JSON: {name}")


def _has_lone_surrogate(value):
    """JSON \\ud800-style escapes can smuggle text that is not valid Unicode."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
    return False


def parse_line(raw, arrival):
    """Validate one non-blank line (bytes, without its newline) into an Event, or raise Invalid."""
    if len(raw) > MAX_LINE_BYTES:
        raise Invalid("larger than 1 MiB")
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise Invalid("not UTF-8") from err
    try:
        obj = json.loads(decoded, parse_constant=_reject_json_constant)
    except (ValueError, RecursionError) as err:
        raise Invalid("not JSON") from err
    if not isinstance(obj, dict):
        raise Invalid("JSON that is not an object")
    if _has_lone_surrogate(obj):
        raise Invalid("not valid Unicode (lone surrogate escape)")

    identifier(obj.get("event_id"), "event_id")
    non_empty_string(obj.get("event_type"), "event_type")
    identifier(obj.get("conversation_id"), "conversation_id")
    if obj.get("occurred_at") is None:
        raise Invalid("missing required field occurred_at")
    try:
        occurred_at = parse_occurred_at(obj["occurred_at"])
    except TimeError as err:
        raise Invalid(str(err)) from err
    _check_fields(obj, {}, ENVELOPE_OPTIONAL)
    seq = obj.get("seq")
    if seq is not None:
        integer(seq, "seq")
        if seq < 0:
            raise Invalid("seq must be >= 0")
    schema_version = obj.get("schema_version")
    if schema_version is not None and schema_version > SUPPORTED_SCHEMA_VERSION:
        raise Invalid(f"schema_version {schema_version} not supported")

    event_type = obj["event_type"]
    if event_type in EVENT_FIELDS:
        required, optional = EVENT_FIELDS[event_type]
        _check_fields(obj, required, optional)
        if event_type == "csat_submitted":
            _check_csat_range(obj)

    tenant_id = obj.get("tenant_id")
    return Event(
        arrival=arrival,
        event_id=obj["event_id"],
        event_type=event_type,
        conversation_id=obj["conversation_id"],
        tenant_id=DEFAULT_TENANT if tenant_id is None else tenant_id,
        occurred_at=occurred_at,
        seq=seq,
        customer_id=obj.get("customer_id"),
        channel=obj.get("channel"),
        fields=obj,
    )


def _open(path):
    if path == "-":
        return sys.stdin.buffer
    if path.endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


def _lines(stream):
    for line in stream:
        raw = line.rstrip(b"\n")
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if raw.strip() == b"":
            continue  # blank lines are not input lines
        yield raw


def read_events(paths):
    """All files in order; first arrival of an event_id wins. Returns (events, Counts)."""
    counts = Counts()
    seen_ids = set()
    events = []
    for path in paths:
        with _open(path) as stream:
            for raw in _lines(stream):
                counts.lines += 1
                try:
                    event = parse_line(raw, counts.lines)
                except Invalid:
                    counts.invalid_lines += 1
                    continue
                if event.event_id in seen_ids:
                    counts.duplicate_lines += 1
                    continue
                seen_ids.add(event.event_id)
                counts.valid_unique_events += 1
                events.append(event)
    return events, counts
