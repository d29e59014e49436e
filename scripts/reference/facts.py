"""Conversation facts, METRICS.md §1, computed over a finite input.

A finite input ends with every open conversation closed, so the facts here are the
final version: all of a conversation's events, late or not, are taken into account.
"""

from rfc3339 import MICROS_PER_DAY, MICROS_PER_SECOND

# Types that make up a conversation. csat_submitted is joined to it but is not "an event
# of it" (§1); intent_labeled only feeds calibration; unknown types change no fact.
CONVERSATION_TYPES = (
    "conversation_started",
    "message",
    "intent_predicted",
    "tool_call",
    "kb_lookup",
    "handoff_requested",
    "agent_assigned",
    "hold_started",
    "hold_ended",
    "agent_released",
    "wrapup_completed",
    "queue_abandoned",
    "conversation_ended",
)

FACT_KEYS = (
    "tenant_id",
    "conversation_id",
    "started_at",
    "ended_at",
    "closed_at",
    "disposition",
    "channel",
    "customer_id",
    "handed_off",
    "handoff_reason",
    "agent_handled",
    "queue_abandoned",
    "bot_time_s",
    "queue_wait_s",
    "talk_hold_s",
    "hold_s",
    "acw_s",
    "talk_s",
    "handle_time_s",
    "customer_messages",
    "bot_messages",
    "agent_messages",
    "first_intent",
    "mean_confidence",
    "min_confidence",
    "kb_lookups",
    "kb_misses",
    "contained_gross",
    "contained",
    "resolved_by_bot",
    "csat_score",
    "csat_scale",
    "csat_5",
    "recontacted",
)

RECONTACT_WINDOW = MICROS_PER_DAY


def seconds_between(start, end):
    return (end - start) / MICROS_PER_SECOND


def conversation_order(event):
    """(occurred_at, seq, arrival); an absent seq sorts before any seq."""
    seq_key = (0, 0) if event.seq is None else (1, event.seq)
    return (event.occurred_at, seq_key, event.arrival)


def _first(events, event_type):
    return next((e for e in events if e.event_type == event_type), None)


def _segment_ends(events, default_end):
    """Map each agent_assigned position to its segment's end.

    A segment ends at the next agent_released after its agent_assigned (in conversation
    order), else at ended_at / closed_at (`default_end`).
    """
    ends = {}
    for index, event in enumerate(events):
        if event.event_type != "agent_assigned":
            continue
        release = next((e for e in events[index + 1 :] if e.event_type == "agent_released"), None)
        ends[index] = release.occurred_at if release is not None else default_end
    return ends


def _talk_hold_seconds(events, segment_ends):
    return sum(seconds_between(events[i].occurred_at, end) for i, end in sorted(segment_ends.items()))


def _hold_seconds(events, segment_ends, default_end):
    """LIFO pairing of hold_started / hold_ended; an unpaired start ends at its segment's end."""
    open_starts = []  # positions of unpaired hold_started, latest last
    total = 0.0
    for index, event in enumerate(events):
        if event.event_type == "hold_started":
            open_starts.append(index)
        elif event.event_type == "hold_ended" and open_starts:
            start = events[open_starts.pop()]
            total += seconds_between(start.occurred_at, event.occurred_at)
    for index in open_starts:
        # Its segment: the one open when the hold started, i.e. the latest agent_assigned
        # before it with no agent_released in between. A hold outside any open segment is
        # taken to end where an open segment would (ended_at, else closed_at), so that a
        # hold is never given a negative length by a segment that ended before it began.
        owners = [
            i
            for i in segment_ends
            if i < index and not any(e.event_type == "agent_released" for e in events[i + 1 : index])
        ]
        end = segment_ends[max(owners)] if owners else default_end
        total += seconds_between(events[index].occurred_at, end)
    return total


def _agent_ids_match(a, b):
    return a is None or b is None or a == b


def _acw_seconds(events):
    """Each wrapup pairs with the latest unpaired agent_released before it, same agent_id."""
    unpaired_releases = []  # events, in conversation order
    total = 0.0
    for event in events:
        if event.event_type == "agent_released":
            unpaired_releases.append(event)
        elif event.event_type == "wrapup_completed":
            agent = event.get("agent_id")
            for position in range(len(unpaired_releases) - 1, -1, -1):
                release = unpaired_releases[position]
                if _agent_ids_match(agent, release.get("agent_id")):
                    total += seconds_between(release.occurred_at, event.occurred_at)
                    del unpaired_releases[position]
                    break
    return total


def _latest_csat(csat_events):
    if not csat_events:
        return None
    return max(csat_events, key=lambda e: (e.occurred_at, e.event_id))


def csat_on_5_point_scale(score, scale):
    return 1 + 4 * (score - 1) / (scale - 1)


def _facts_of(tenant_id, conversation_id, events, csat_events):
    """Every fact except `recontacted`, which needs the other conversations."""
    started = _first(events, "conversation_started")
    started_at = started.occurred_at if started is not None else events[0].occurred_at
    ended = _first(events, "conversation_ended")
    ended_at = ended.occurred_at if ended is not None else None
    if ended is not None:
        wrapups = [e.occurred_at for e in events if e.event_type == "wrapup_completed"]
        closed_at = max([ended_at] + wrapups)
        disposition = ended.get("disposition")
    else:
        closed_at = max(e.occurred_at for e in events)  # closed by inactivity
        disposition = "abandoned"

    handoff = _first(events, "handoff_requested")
    assigned = _first(events, "agent_assigned")
    agent_handled = assigned is not None
    bot_end = handoff.occurred_at if handoff else (ended_at if ended_at is not None else closed_at)

    talk_hold_s = hold_s = acw_s = talk_s = handle_time_s = None
    if agent_handled:
        default_end = ended_at if ended_at is not None else closed_at
        segment_ends = _segment_ends(events, default_end)
        talk_hold_s = _talk_hold_seconds(events, segment_ends)
        hold_s = _hold_seconds(events, segment_ends, default_end)
        acw_s = _acw_seconds(events)
        talk_s = talk_hold_s - hold_s
        handle_time_s = talk_hold_s + acw_s

    messages = [e for e in events if e.event_type == "message"]
    predictions = [e for e in events if e.event_type == "intent_predicted"]
    confidences = [e.get("confidence") for e in predictions]
    lookups = [e for e in events if e.event_type == "kb_lookup"]
    handed_off = handoff is not None

    csat = _latest_csat(csat_events)
    csat_score = csat.get("score") if csat else None
    csat_scale = csat.get("scale", 5) if csat else None

    return {
        "tenant_id": tenant_id,
        "conversation_id": conversation_id,
        "started_at": started_at,
        "ended_at": ended_at,
        "closed_at": closed_at,
        "disposition": disposition,
        "channel": next((e.channel for e in events if e.channel is not None), "other"),
        "customer_id": next((e.customer_id for e in events if e.customer_id is not None), None),
        "handed_off": handed_off,
        "handoff_reason": handoff.get("reason") if handoff else None,
        "agent_handled": agent_handled,
        "queue_abandoned": _first(events, "queue_abandoned") is not None and not agent_handled,
        "bot_time_s": seconds_between(started_at, bot_end),
        "queue_wait_s": seconds_between(handoff.occurred_at, assigned.occurred_at) if handoff and assigned else None,
        "talk_hold_s": talk_hold_s,
        "hold_s": hold_s,
        "acw_s": acw_s,
        "talk_s": talk_s,
        "handle_time_s": handle_time_s,
        "customer_messages": sum(1 for e in messages if e.get("actor") == "customer"),
        "bot_messages": sum(1 for e in messages if e.get("actor") == "bot"),
        "agent_messages": sum(1 for e in messages if e.get("actor") == "agent"),
        "first_intent": predictions[0].get("intent") if predictions else None,
        "mean_confidence": sum(confidences) / len(confidences) if confidences else None,
        "min_confidence": min(confidences) if confidences else None,
        "kb_lookups": len(lookups),
        "kb_misses": sum(1 for e in lookups if e.get("hit") is False),
        "contained_gross": not handed_off,
        "contained": not handed_off and disposition != "abandoned",
        "resolved_by_bot": not handed_off and disposition == "resolved",
        "csat_score": csat_score,
        "csat_scale": csat_scale,
        "csat_5": csat_on_5_point_scale(csat_score, csat_scale) if csat else None,
        "recontacted": None,
    }


def _mark_recontacts(facts):
    """recontacted: another conversation of the same (tenant, customer) starts in (closed, closed + 24 h]."""
    starts_by_customer = {}
    for fact in facts:
        if fact["customer_id"] is not None:
            key = (fact["tenant_id"], fact["customer_id"])
            starts_by_customer.setdefault(key, []).append((fact["conversation_id"], fact["started_at"]))
    for fact in facts:
        if fact["customer_id"] is None:
            continue
        closed = fact["closed_at"]
        fact["recontacted"] = any(
            other_id != fact["conversation_id"] and closed < started <= closed + RECONTACT_WINDOW
            for other_id, started in starts_by_customer[(fact["tenant_id"], fact["customer_id"])]
        )


def conversation_facts(events):
    """One fact dict per conversation (timestamps as epoch microseconds), sorted by (tenant_id, conversation_id)."""
    conversations = {}
    csat_by_conversation = {}
    for event in events:
        key = (event.tenant_id, event.conversation_id)
        if event.event_type in CONVERSATION_TYPES:
            conversations.setdefault(key, []).append(event)
        elif event.event_type == "csat_submitted":
            csat_by_conversation.setdefault(key, []).append(event)
    facts = []
    for key in sorted(conversations):
        ordered = sorted(conversations[key], key=conversation_order)
        facts.append(_facts_of(key[0], key[1], ordered, csat_by_conversation.get(key, [])))
    _mark_recontacts(facts)
    return facts
