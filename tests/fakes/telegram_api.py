"""A fake Telegram Bot API: a real HTTP server on 127.0.0.1 for the bot to talk to.

The bot reaches it through PTB's own request stack (``TELEGRAM_API_URL``). It answers the
methods the bot uses, records every message the bot sends, lets a test play users who
write to the bot, and can be told to fail: 429 with retry_after, 403 for chosen chats,
400, 5xx, and slow answers.

It is as strict as Telegram where a bot can get it wrong (see :func:`check_message`): a
message's HTML must parse the way Telegram parses it, its text must fit 4,096 UTF-16 code
units once the entities are parsed, a button's callback data must fit 64 bytes, and an edit
must name a message the bot sent to that chat (one that changes nothing is answered
"message is not modified", as Telegram does). What Telegram would refuse is answered with
Telegram's 400, and kept in :attr:`FakeBotAPI.refused`. Given :class:`Limits`, it is as
strict about how fast messages come too: beyond them it answers 429 with ``retry_after``, as
Telegram does, and keeps the request in :attr:`FakeBotAPI.too_many`.

Webhooks work as in Telegram: ``setWebhook`` checks the address (https, ports 443, 80, 88,
8443) and the secret token (1-256 of ``A-Z a-z 0-9 _ -``); while a webhook is set,
``getUpdates`` answers 409 Conflict; :meth:`FakeBotAPI.push_updates` POSTs the waiting
updates, with the secret header, to the address the test names (the bot's server, which
the registered public address would reach through the platform's proxy).
"""

from __future__ import annotations

import html
import http.client
import itertools
import json
import math
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

BOT_USER = {
    "id": 4242,
    "is_bot": True,
    "first_name": "newsbot test",
    "username": "newsbot_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}

# Parameters that are text and must not be decoded as JSON ("123" stays a string).
TEXT_PARAMETERS = frozenset({"text", "caption", "description", "short_description"})


@dataclass(frozen=True)
class Sent:
    """A message the bot sent (or, in ``edits``, the new text of one it edited)."""

    chat_id: int
    text: str
    parse_mode: str | None
    parameters: dict[str, Any]
    message_id: int = 0
    at: float = 0.0

    @property
    def plain(self) -> str:
        """The text a reader sees: the HTML's tags gone, its entities decoded."""
        return parse_html(self.text) if self.parse_mode == "HTML" else self.text

    @property
    def buttons(self) -> dict[str, str]:
        """The inline buttons under the message as sent: label -> callback data."""
        return _labels(self.parameters.get("reply_markup"))


@dataclass
class Fault:
    """An error answer for the next *count* calls of *method* (to *chat_id*, if set)."""

    method: str
    status: int
    description: str
    chat_id: int | None = None
    count: int = 1
    retry_after: int | None = None
    migrate_to_chat_id: int | None = None
    delay: float = 0.0


@dataclass(frozen=True)
class Limits:
    """Telegram's limits on messages (sent or edited): overall, and per chat (a private chat
    after a burst; a group, or a channel, per minute). A message may come up to
    *leeway_seconds* early: it is timed when it arrives, not when the bot let it go."""

    overall_per_second: float = 30.0
    private_per_second: float = 1.0
    private_burst: float = 3.0
    group_per_minute: float = 20.0
    leeway_seconds: float = 0.5

    def rates(self, chat_id: int) -> tuple[tuple[object, float, float], ...]:
        """(bucket, tokens a second, burst) of the buckets a message to *chat_id* takes from."""
        chat = (
            (chat_id, self.private_per_second, self.private_burst)
            if chat_id > 0
            else (chat_id, self.group_per_minute / 60, self.group_per_minute)
        )
        return ("overall", self.overall_per_second, self.overall_per_second), chat


LIMITED = ("sendMessage", "editMessageText", "editMessageReplyMarkup")  # what Limits count


@dataclass
class _State:
    updates: list[dict[str, Any]] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    edits: list[Sent] = field(default_factory=list)
    per_chat: dict[int, int] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    call_times: list[float] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    blocked: dict[int, str] = field(default_factory=dict)
    refused: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)
    offset: int = 0  # the bot confirmed every update before this one
    group_admins: dict[int, set[int]] = field(default_factory=dict)  # chat -> its admins' user ids
    keyboards: dict[int, Any] = field(default_factory=dict)  # message id -> its buttons now
    texts: dict[int, tuple[int, str]] = field(default_factory=dict)  # message id -> (chat, its text now)
    webhook: dict[str, Any] | None = None  # setWebhook's parameters while a webhook is set
    buckets: dict[object, tuple[float, float]] = field(default_factory=dict)  # (tokens, when), for Limits
    too_many: list[tuple[str, dict[str, Any], float]] = field(default_factory=list)


class FakeBotAPI:
    """See the module docstring. Use as a context manager, or call start()/stop()."""

    def __init__(
        self,
        token: str = "123456:TEST-token-for-the-fake-Bot-API-000",
        *,
        expect_refusals: bool = False,
        limits: Limits | None = None,
    ) -> None:
        """Used as a context manager, it fails the test on leaving when the bot sent anything
        Telegram would have refused, unless *expect_refusals*. With *limits*, messages beyond
        them are answered 429 (see :attr:`too_many`)."""
        self.token = token
        self._expect_refusals = expect_refusals
        self._limits = limits
        self._state = _State()
        lock = threading.RLock()
        self._changed = threading.Condition(lock)  # anything happened: what wait_until waits on
        # New updates only: a pending getUpdates is not woken by every message the bot sends.
        self._updates_added = threading.Condition(lock)
        self._ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> FakeBotAPI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeBotAPI:
        return self.start()

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.stop()
        refused = self.refused
        if exc_type is None and refused and not self._expect_refusals:
            shown = "\n".join(f"{method}: {why}: {str(params.get('text', ''))[:200]!r}"
                               for method, params, why in refused[:5])  # fmt: skip
            raise AssertionError(f"Telegram would have refused {len(refused)} request(s):\n{shown}")

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/bot"

    # --- what the bot did ---------------------------------------------------------------

    @property
    def sent(self) -> list[Sent]:
        with self._changed:
            return list(self._state.sent)

    @property
    def sent_count(self) -> int:
        """How many messages the bot sent (cheap: for conditions checked on every call)."""
        return len(self._state.sent)

    def count_to(self, chat_id: int) -> int:
        """How many messages the bot sent to *chat_id* (cheap, like :attr:`sent_count`)."""
        return self._state.per_chat.get(chat_id, 0)

    def messages_to(self, chat_id: int) -> list[Sent]:
        return [m for m in self.sent if m.chat_id == chat_id]

    @property
    def edits(self) -> list[Sent]:
        with self._changed:
            return list(self._state.edits)

    @property
    def refused(self) -> list[tuple[str, dict[str, Any], str]]:
        """Requests answered 400 because Telegram would refuse them: (method, parameters, why)."""
        with self._changed:
            return list(self._state.refused)

    @property
    def too_many(self) -> list[tuple[str, dict[str, Any], float]]:
        """Messages answered 429 because they came faster than the :class:`Limits` allow:
        (method, parameters, the retry_after given)."""
        with self._changed:
            return list(self._state.too_many)

    def buttons_now(self, message: Sent) -> dict[str, str]:
        """The buttons under *message* now: as sent, or as the bot last changed them (an edit
        of its text without buttons removes them, as in Telegram)."""
        with self._changed:
            markup = self._state.keyboards.get(message.message_id, message.parameters.get("reply_markup"))
        return _labels(markup)

    def calls(self, method: str) -> list[dict[str, Any]]:
        with self._changed:
            return [params for name, params in self._state.calls if name == method]

    def call_times(self, method: str, chat_id: int | None = None) -> list[float]:
        """When each call of *method* (to *chat_id*) arrived, on time.monotonic()."""
        with self._changed:
            return [
                at
                for (name, params), at in zip(self._state.calls, self._state.call_times, strict=True)
                if name == method and (chat_id is None or _int_or_none(params.get("chat_id")) == chat_id)
            ]

    def wait_until(
        self, condition: Callable[[], bool], timeout: float = 15.0, what: str = "condition"
    ) -> None:
        """Wait until *condition* holds (checked whenever the bot calls the API)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
                self._changed.wait(min(left, 0.2))

    def wait_for_message(
        self, chat_id: int, predicate: Callable[[Sent], bool] = lambda m: True, timeout: float = 15.0
    ) -> Sent:
        found: list[Sent] = []

        def seen() -> bool:
            found[:] = [m for m in self._state.sent if m.chat_id == chat_id and predicate(m)]
            return bool(found)

        self.wait_until(seen, timeout, what=f"a message to chat {chat_id}")
        return found[0]

    # --- playing users ------------------------------------------------------------------

    @property
    def updates_waiting(self) -> int:
        """Updates the bot has not fetched and confirmed yet."""
        with self._changed:
            return sum(1 for u in self._state.updates if u["update_id"] >= self._state.offset)

    def user_says(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str = "private",
        thread_id: int | None = None,
        language: str | None = None,
        entities: Sequence[Mapping[str, Any]] = (),
    ) -> int:
        """Queue a message from a user, as Telegram would deliver it through getUpdates (or
        :meth:`push_updates`); see :meth:`message_update` for the arguments."""
        update = self.message_update(
            chat_id,
            text,
            user_id=user_id,
            chat_type=chat_type,
            thread_id=thread_id,
            language=language,
            entities=entities,
        )
        with self._changed:
            self._state.updates.append(update)
            self._changed.notify_all()
            self._updates_added.notify_all()
        return int(update["update_id"])

    def message_update(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str = "private",
        thread_id: int | None = None,
        language: str | None = None,
        entities: Sequence[Mapping[str, Any]] = (),
    ) -> dict[str, Any]:
        """The update of a message from a user, as Telegram delivers it (not queued); with
        *thread_id*, in that topic of a forum supergroup; *language*: the user's Telegram
        language (``language_code``); *entities*: the formatting the user gave the text, as
        the Bot API's MessageEntity objects (``{"type": "bold", "offset": 11, "length": 4}``,
        offsets and lengths in UTF-16 code units; see :func:`entity`), after the command's."""
        user_id = chat_id if user_id is None else user_id
        update_id = next(self._ids)
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if thread_id is not None:
            chat["is_forum"] = True
        if chat_type == "private":
            chat["first_name"] = f"user{user_id}"
        else:
            chat["title"] = f"group {chat_id}"
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"},
            "text": text,
        }
        if language is not None:
            message["from"]["language_code"] = language
        if thread_id is not None:
            message.update(message_thread_id=thread_id, is_topic_message=True)
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(command.encode("utf-16-le")) // 2}
            ]
        if entities:
            message["entities"] = [*message.get("entities", []), *(dict(e) for e in entities)]
        return {"update_id": update_id, "message": message}

    def user_presses(self, message: Sent, label: str, *, user_id: int | None = None) -> int:
        """A user presses the button *label* under *message* (as its buttons are now), as
        Telegram delivers it."""
        update_id = next(self._ids)
        user_id = message.chat_id if user_id is None else user_id
        query = {
            "id": str(update_id),
            "from": {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"},
            "chat_instance": str(message.chat_id),
            # As the buttons are now, else as sent (a client that has not caught up yet).
            "data": self.buttons_now(message).get(label) or message.buttons[label],
            "message": {
                "message_id": message.message_id,
                "date": int(time.time()),
                "chat": {"id": message.chat_id, "type": "private" if message.chat_id > 0 else "supergroup"},
                "text": message.text,
            },
        }
        thread = message.parameters.get("message_thread_id")
        if thread is not None:
            query["message"].update(message_thread_id=int(thread), is_topic_message=True)
            query["message"]["chat"]["is_forum"] = True
        with self._changed:
            self._state.updates.append({"update_id": update_id, "callback_query": query})
            self._changed.notify_all()
            self._updates_added.notify_all()
        return update_id

    def user_sends_callback(
        self, chat_id: int, data: str, *, user_id: int | None = None, message_id: int | None = None
    ) -> int:
        """A callback query with any *data*, as a forged or stale client could send it; with no
        *message_id*, the press comes without its message (as for a message too old to show)."""
        update_id = next(self._ids)
        user_id = chat_id if user_id is None else user_id
        query: dict[str, Any] = {
            "id": str(update_id),
            "from": {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"},
            "chat_instance": str(chat_id),
            "data": data,
        }
        if message_id is not None:
            query["message"] = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                "text": "",
            }
        with self._changed:
            self._state.updates.append({"update_id": update_id, "callback_query": query})
            self._changed.notify_all()
            self._updates_added.notify_all()
        return update_id

    # --- webhooks -----------------------------------------------------------------------

    @property
    def webhook(self) -> dict[str, Any] | None:
        """The webhook as the bot set it (setWebhook's parameters: ``url``, ``secret_token``...),
        or None while there is none."""
        with self._changed:
            return dict(self._state.webhook) if self._state.webhook is not None else None

    def push_updates(self, to: str, timeout: float = 15.0) -> list[int]:
        """POST each waiting update to *to* (``http://host:port/path``), in order, as Telegram
        does to a webhook: JSON, with the secret in ``X-Telegram-Bot-Api-Secret-Token``. An
        update answered 2xx is delivered; the first other answer stops the round (Telegram
        tries again later). A server that does not listen yet is tried again until *timeout*.
        Returns the statuses."""
        with self._changed:
            webhook = self._state.webhook
            if webhook is None:
                raise AssertionError("no webhook is set: Telegram would keep the updates for getUpdates")
            secret = webhook.get("secret_token")
            pending = [u for u in self._state.updates if u["update_id"] >= self._state.offset]
        headers = {"X-Telegram-Bot-Api-Secret-Token": str(secret)} if secret else {}
        statuses = []
        for update in pending:
            status = post_json(to, update, headers=headers, timeout=timeout)
            statuses.append(status)
            if not 200 <= status < 300:
                break
            with self._changed:
                self._state.offset = max(self._state.offset, update["update_id"] + 1)
                self._changed.notify_all()
        return statuses

    # --- faults -------------------------------------------------------------------------

    def block(self, chat_id: int, description: str = "Forbidden: bot was blocked by the user") -> None:
        """Every send to *chat_id* answers 403 from now on."""
        with self._changed:
            self._state.blocked[chat_id] = description

    def unblock(self, chat_id: int) -> None:
        with self._changed:
            self._state.blocked.pop(chat_id, None)

    def make_admin(self, chat_id: int, user_id: int) -> None:
        """*user_id* administers the group *chat_id* (getChatMember says so from now on)."""
        with self._changed:
            self._state.group_admins.setdefault(chat_id, set()).add(user_id)

    def fail_next(self, fault: Fault) -> None:
        with self._changed:
            self._state.faults.append(fault)

    # --- the HTTP side ------------------------------------------------------------------

    def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any], float]:
        with self._changed:
            self._state.calls.append((method, params))
            self._state.call_times.append(time.monotonic())
            self._changed.notify_all()
            chat_id = _int_or_none(params.get("chat_id"))
            for fault in self._state.faults:
                if fault.count > 0 and fault.method == method and fault.chat_id in (None, chat_id):
                    fault.count -= 1
                    if fault.status == 200:  # not a fault: a slow answer
                        slow = fault.delay
                        break
                    body: dict[str, Any] = {
                        "ok": False,
                        "error_code": fault.status,
                        "description": fault.description,
                    }
                    if fault.retry_after is not None:
                        body["parameters"] = {"retry_after": fault.retry_after}
                    if fault.migrate_to_chat_id is not None:
                        body["parameters"] = {"migrate_to_chat_id": fault.migrate_to_chat_id}
                    return fault.status, body, fault.delay
            else:
                slow = 0.0
            if method == "sendMessage" and chat_id in self._state.blocked:
                return 403, {"ok": False, "error_code": 403, "description": self._state.blocked[chat_id]}, 0.0
            if method == "getUpdates" and self._state.webhook is not None:
                conflict = (
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first"
                )
                return 409, {"ok": False, "error_code": 409, "description": conflict}, 0.0
            if self._limits is not None and method in LIMITED and chat_id is not None:
                wait = self._over_limits(self._limits, chat_id, self._state.call_times[-1])
                if wait > 0:
                    retry_after = math.ceil(wait)
                    self._state.too_many.append((method, params, retry_after))
                    description = f"Too Many Requests: retry after {retry_after}"
                    body = {"ok": False, "error_code": 429, "description": description,
                            "parameters": {"retry_after": retry_after}}  # fmt: skip
                    return 429, body, 0.0
            problem = check_message(method, params)
            if problem is not None:
                self._state.refused.append((method, params, problem))
                return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {problem}"}, 0.0
            if method in ("editMessageText", "editMessageReplyMarkup"):
                unchanged = self._edit_refused(method, params)
                if unchanged is not None:
                    return (
                        400,
                        {"ok": False, "error_code": 400, "description": f"Bad Request: {unchanged}"},
                        0.0,
                    )
        if slow:
            time.sleep(slow)  # a slow server, on purpose
        result = self._result(method, params)
        return 200, {"ok": True, "result": result}, 0.0

    def _over_limits(self, limits: Limits, chat_id: int, now: float) -> float:
        """Seconds until a message to *chat_id* would be within *limits* (0: it is, and it
        takes its tokens)."""
        buckets = self._state.buckets
        refilled = []
        for key, rate, burst in limits.rates(chat_id):
            tokens, updated = buckets.get(key, (burst, now))
            refilled.append((key, min(burst, tokens + (now - updated) * rate), rate))
        wait = max((1 - tokens) / rate - limits.leeway_seconds for _, tokens, rate in refilled)
        if wait > 0:
            return wait
        for key, tokens, _ in refilled:
            buckets[key] = (tokens - 1, now)
        return 0.0

    def _edit_refused(self, method: str, params: dict[str, Any]) -> str | None:
        """Why Telegram refuses this edit: the bot never sent that message to that chat (a
        refusal the test fails on), or nothing would change (an answer bots meet and ignore)."""
        message_id = int(params["message_id"])
        known = self._state.texts.get(message_id)
        if known is None or known[0] != int(params["chat_id"]):
            problem = "message to edit not found"
            self._state.refused.append((method, params, problem))
            return problem
        text = known[1] if method == "editMessageReplyMarkup" else str(params.get("text", ""))
        if text == known[1] and params.get("reply_markup") == self._state.keyboards.get(message_id):
            return (
                "message is not modified: specified new message content and reply markup are exactly "
                "the same as a current content and reply markup of the message"
            )
        return None

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "getChatMember":
            user_id = int(params["user_id"])
            with self._changed:
                admin = user_id in self._state.group_admins.get(int(params["chat_id"]), set())
            user = {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"}
            if admin:
                rights = ("can_manage_chat", "can_delete_messages", "can_manage_video_chats",
                          "can_restrict_members", "can_change_info", "can_invite_users")  # fmt: skip
                rights_off = ("can_be_edited", "is_anonymous", "can_promote_members", "can_post_stories",
                              "can_edit_stories", "can_delete_stories")  # fmt: skip
                return {"status": "administrator", "user": user, **dict.fromkeys(rights, True),
                        **dict.fromkeys(rights_off, False)}  # fmt: skip
            return {"status": "member", "user": user}
        if method in ("setWebhook", "deleteWebhook"):
            with self._changed:
                url = str(params.get("url") or "") if method == "setWebhook" else ""
                self._state.webhook = dict(params) if url else None  # an empty url deletes it
                if params.get("drop_pending_updates"):
                    ids = [u["update_id"] + 1 for u in self._state.updates]
                    self._state.offset = max([self._state.offset, *ids])
                self._changed.notify_all()
            return True
        if method == "getWebhookInfo":
            with self._changed:
                webhook = self._state.webhook or {}
                waiting = sum(1 for u in self._state.updates if u["update_id"] >= self._state.offset)
            info: dict[str, Any] = {"url": str(webhook.get("url", "")), "has_custom_certificate": False,
                                    "pending_update_count": waiting}  # fmt: skip
            if webhook:
                info["max_connections"] = int(webhook.get("max_connections") or 40)
                for key in ("ip_address", "allowed_updates"):
                    if webhook.get(key) is not None:
                        info[key] = webhook[key]
            return info  # (never the secret token, as in Telegram)
        if method == "getUpdates":
            return self._updates(
                int(params.get("offset", 0) or 0),
                float(params.get("timeout", 0) or 0),
                int(params.get("limit", 100) or 100),
            )
        if method == "editMessageReplyMarkup":
            with self._changed:
                self._state.keyboards[int(params["message_id"])] = params.get("reply_markup")
                self._changed.notify_all()
            return True
        if method in ("sendMessage", "editMessageText"):
            edited = method == "editMessageText"
            sent = Sent(
                chat_id=int(params["chat_id"]),
                text=str(params.get("text", "")),
                parse_mode=params.get("parse_mode"),
                parameters=params,
                message_id=int(params["message_id"]) if edited else next(self._message_ids),
                at=time.monotonic(),
            )
            with self._changed:
                self._state.keyboards[sent.message_id] = params.get("reply_markup")
                self._state.texts[sent.message_id] = (sent.chat_id, sent.text)
                (self._state.edits if edited else self._state.sent).append(sent)
                if not edited:
                    self._state.per_chat[sent.chat_id] = self._state.per_chat.get(sent.chat_id, 0) + 1
                self._changed.notify_all()
            return {
                "message_id": sent.message_id,
                "date": int(time.time()),
                "chat": {"id": sent.chat_id, "type": "private" if sent.chat_id > 0 else "group"},
                "from": BOT_USER,
                "text": sent.text,
            }
        return True  # setMyCommands, ...

    def _updates(self, offset: int, timeout: float, limit: int) -> list[dict[str, Any]]:
        deadline = time.monotonic() + min(timeout, 1.0)  # short long-polls keep shutdown quick
        with self._changed:
            # As Telegram does, updates confirmed by an offset are gone, also for a bot that
            # restarts and asks from 0.
            offset = self._state.offset = max(self._state.offset, offset)
            while True:
                # At most *limit* (Telegram: 100): a flood arrives in batches, as it would.
                pending = [u for u in self._state.updates if u["update_id"] >= offset][:limit]
                left = deadline - time.monotonic()
                if pending or left <= 0:
                    return pending
                self._updates_added.wait(left)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Telegram's servers do
            disable_nagle_algorithm = True  # headers and body go out as separate writes

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def _serve(self) -> None:
                path = urlsplit(self.path).path
                prefix = f"/bot{api.token}/"
                if not path.startswith(prefix):
                    self._send(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                    return
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                if len(body) < length:
                    # The client died while sending (a bot killed with -9 mid-request): like
                    # Telegram, act on no half-received request.
                    self.close_connection = True
                    return
                raw = body.decode()
                params = {key: _decode(key, values[-1]) for key, values in parse_qs(raw).items()}
                status, body, delay = api._answer(path[len(prefix) :], params)
                if delay:
                    time.sleep(delay)  # a slow server, on purpose
                self._send(status, body)

            def _send(self, status: int, body: dict[str, Any]) -> None:
                payload = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the bot gave up waiting (shutdown, or a timeout under test)

        return Handler


def entity(text: str, part: str, kind: str, **more: Any) -> dict[str, Any]:
    """The MessageEntity Telegram gives *part* of *text* (its first occurrence) formatted
    as *kind* (``bold``, ``italic``, ``text_link`` with ``url=``...), its offset and length
    in UTF-16 code units as Telegram counts them."""
    start = text.index(part)
    units = lambda piece: len(piece.encode("utf-16-le")) // 2  # noqa: E731
    return {"type": kind, "offset": units(text[:start]), "length": units(part), **more}


MESSAGE_LIMIT = 4096  # UTF-16 code units of text, after entity parsing
CALLBACK_DATA_LIMIT = 64  # bytes
# Telegram's HTML: these tags (span only as a spoiler), the four named entities and numeric ones.
HTML_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a"}
    | {"tg-emoji", "code", "pre", "blockquote"}
)
_HTML_TOKEN = re.compile(
    r"""<(/?)([a-zA-Z][\w-]*)((?:\s+[\w-]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*>"""
    r"|&(#[0-9]+|#x[0-9a-fA-F]+|lt|gt|amp|quot);"
    r"|[<>&]"
    r"|[^<>&]+"
)


def parse_html(text: str) -> str:
    """The text of a Telegram HTML message; raises ValueError as Telegram refuses it."""
    stack: list[str] = []
    out: list[str] = []
    for match in _HTML_TOKEN.finditer(text):
        token = match.group(0)
        if match.group(2):
            closing, name = match.group(1) == "/", match.group(2).lower()
            if name not in HTML_TAGS:
                raise ValueError(f'unsupported start tag "{name}" at byte offset {match.start()}')
            if closing:
                if not stack or stack[-1] != name:
                    raise ValueError(f'can\'t find start tag corresponding to end tag "{name}"')
                stack.pop()
            else:
                stack.append(name)
        elif match.group(4):
            out.append(html.unescape(token))
        elif token in "<>&":
            raise ValueError(f"unsupported character {token!r} at byte offset {match.start()}")
        else:
            out.append(token)
    if stack:
        raise ValueError(f'can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
SCOPES = {"default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
          "chat_administrators", "chat_member"}  # fmt: skip


def check_commands(params: dict[str, Any]) -> str | None:
    """Why Telegram would refuse this setMyCommands: a language code that is not two letters
    (ISO 639-1: Sorani's "ckb" is refused), a bad command name or description, a bad scope."""
    code = str(params.get("language_code") or "")
    if code and not re.fullmatch(r"[a-z]{2}", code):
        return "invalid language code specified"
    commands = params.get("commands")
    if isinstance(commands, str):
        commands = json.loads(commands)
    if not isinstance(commands, list) or len(commands) > 100:
        return "BOT_COMMANDS_TOO_MUCH"
    for command in commands:
        if not COMMAND_NAME.fullmatch(str(command.get("command", ""))):
            return "BOT_COMMAND_INVALID"
        if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
            return "BOT_COMMAND_DESCRIPTION_INVALID"
    scope = params.get("scope")
    if isinstance(scope, str):
        scope = json.loads(scope)
    if scope is not None and (not isinstance(scope, dict) or scope.get("type") not in SCOPES):
        return "can't parse BotCommandScope"
    return None


WEBHOOK_PORTS = (443, 80, 88, 8443)
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]*")


def check_webhook(params: dict[str, Any]) -> str | None:
    """Why Telegram would refuse this setWebhook: an address that is not https or not on one
    of its four ports, a secret token of other characters or over 256, max_connections out of
    1-100. (An empty url is allowed: it deletes the webhook.)"""
    url = str(params.get("url") or "")
    if url:
        try:
            parts = urlsplit(url)
            port = parts.port or 443
        except ValueError:
            return "bad webhook: invalid webhook URL specified"
        if parts.scheme.lower() != "https" or not parts.hostname:
            return "bad webhook: An HTTPS URL must be provided for webhook"
        if port not in WEBHOOK_PORTS:
            return "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
    secret = params.get("secret_token")
    if secret is not None:
        if not SECRET_TOKEN.fullmatch(str(secret)):
            return "secret token contains unallowed characters"
        if not 1 <= len(str(secret)) <= 256:  # (the exact wording of Telegram's answer is not known)
            return "secret token must be 1-256 characters long"
    max_connections = params.get("max_connections")
    if max_connections is not None and not 1 <= int(max_connections) <= 100:
        return "bad webhook: max_connections must be between 1 and 100"
    return None


def check_message(method: str, params: dict[str, Any]) -> str | None:
    """Why Telegram would refuse this request (without the "Bad Request: " prefix), or None."""
    if method == "setMyCommands":
        return check_commands(params)
    if method == "setWebhook":
        return check_webhook(params)
    if method not in ("sendMessage", "editMessageText"):
        return None
    text = str(params.get("text", ""))
    if str(params.get("parse_mode", "")).upper() == "HTML":
        try:
            text = parse_html(text)
        except ValueError as exc:
            return f"can't parse entities: {exc}"
    if not text.strip():
        return "message text is empty"
    if len(text.encode("utf-16-le")) // 2 > MESSAGE_LIMIT:
        return "message is too long"
    markup = params.get("reply_markup") or {}
    for row in markup.get("inline_keyboard", []) if isinstance(markup, dict) else []:
        for button in row:
            data = button.get("callback_data")
            if data is not None and len(str(data).encode()) > CALLBACK_DATA_LIMIT:
                return "BUTTON_DATA_INVALID"
    return None


def _labels(markup: Any) -> dict[str, str]:
    """label -> callback data of an inline keyboard (None: no buttons)."""
    rows = (markup or {}).get("inline_keyboard", []) if isinstance(markup, dict) else []
    return {button["text"]: button["callback_data"] for row in rows for button in row}


def _decode(key: str, value: str) -> Any:
    if key in TEXT_PARAMETERS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def post_json(url: str, body: Any, *, headers: Mapping[str, str] | None = None, timeout: float = 15.0) -> int:
    """POST *body* as JSON to *url* (``http://host:port/path``) and return the status. A
    server that refuses the connection (not listening yet) is tried again until *timeout*,
    as Telegram tries a webhook again; the wait between tries grows from 10 ms."""
    parts = urlsplit(url)
    payload = json.dumps(body).encode()
    deadline = time.monotonic() + timeout
    pause = 0.01
    while True:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port or 80, timeout=timeout)
        try:
            connection.request(
                "POST",
                parts.path or "/",
                body=payload,
                headers={"Content-Type": "application/json", **(headers or {})},
            )
            response = connection.getresponse()
            response.read()
            return response.status
        except ConnectionRefusedError:
            if time.monotonic() + pause > deadline:
                raise
        finally:
            connection.close()
        threading.Event().wait(pause)  # nothing listens yet: try again, as Telegram would
        pause = min(pause * 2, 0.2)
