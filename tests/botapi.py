"""A stand-in for Telegram's Bot API, served on loopback for tests and benchmarks.

python-telegram-bot talks to it through its real HTTP stack (``base_url``), so
tests exercise the same requests, encodings and error handling as production.
It answers the methods Relais uses, checks what Telegram checks (HTML parse
mode, 4096-character texts, 64-byte callback data), records every call with the
time on its own clock, and can answer 429 (``retry_after``) or 403 (« bot was
blocked by the user ») for chosen chats.

Scripted users drive it::

    async with BotAPI() as api:
        camille = api.user("Camille")
        await camille.send("/start")
        menu = await camille.next_message()
        await camille.tap("Voir les événements")
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import default as default_policy
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

TOKEN = "123456:TEST-TOKEN"
BOT_ID = 123456
ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "tg-spoiler", "span", "blockquote", "tg-emoji",
}  # fmt: skip
BARE_AMPERSAND = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")
JSON_FIELDS = {"reply_markup", "allowed_updates", "commands", "link_preview_options", "entities"}


class HTMLRejected(ValueError):
    """What Telegram answers « can't parse entities » for."""


class _TelegramHTML(HTMLParser):
    """Accepts exactly what Telegram's HTML mode accepts; collects the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            raise HTMLRejected(f'unsupported start tag "{tag}"')
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            raise HTMLRejected(f'unmatched end tag "{tag}"')
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def visible_text(markup: str) -> str:
    """The text a person sees for ``markup`` in HTML mode, or HTMLRejected."""
    if _has_stray_lt(markup):
        raise HTMLRejected("unescaped <")
    if BARE_AMPERSAND.search(markup):
        raise HTMLRejected("unescaped &")
    parser = _TelegramHTML()
    parser.feed(markup)
    parser.close()
    if parser.open:
        raise HTMLRejected(f'unclosed tag "{parser.open[-1]}"')
    return "".join(parser.text)


def _has_stray_lt(markup: str) -> bool:
    for index, char in enumerate(markup):
        if char == "<":
            following = markup[index + 1 : index + 2]
            if not (following.isalpha() or following == "/"):
                return True
    return False


@dataclass
class Call:
    """One method call as the stand-in received it."""

    method: str
    params: dict[str, Any]
    at: float
    status: int = 200

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value not in (None, "") else None


@dataclass
class BotMessage:
    """A message the bot sent (its current state, edits included)."""

    chat_id: int
    message_id: int
    html: str
    text: str
    buttons: list[list[dict[str, Any]]] = field(default_factory=list)
    document: tuple[str, bytes] | None = None
    edited: bool = False
    deleted: bool = False

    def button_texts(self) -> list[str]:
        return [button["text"] for row in self.buttons for button in row]


@dataclass
class Output:
    """Something that reached a user's screen: a new message or an edit of one."""

    kind: str  # "message", "document" or "edit"
    message: BotMessage
    html: str
    text: str
    at: float = 0.0  # when the stand-in received it, on its clock


class ScriptedUser:
    """A person chatting with the bot in a private chat (chat id = user id)."""

    def __init__(self, api: BotAPI, user_id: int, first_name: str, last_name: str) -> None:
        self.api = api
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.outputs: asyncio.Queue[Output] = asyncio.Queue()
        self.answers: list[dict[str, Any]] = []

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "language_code": "fr",
        }

    def chat(self) -> dict[str, Any]:
        return {"id": self.id, "type": "private", "first_name": self.first_name}

    async def send(self, text: str) -> int:
        """Type ``text``; commands get their bot_command entity as Telegram adds it."""
        message: dict[str, Any] = {
            "message_id": self.api.next_message_id(),
            "date": int(time.time()),
            "chat": self.chat(),
            "from": self.as_dict(),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return await self.api.push_update({"message": message})

    async def tap(self, button_text: str, on: BotMessage | None = None) -> int:
        """Tap the button labelled ``button_text`` on ``on`` or on the newest message having it."""
        message, button = self.api.find_button(self.id, button_text, on)
        if "callback_data" not in button:
            raise AssertionError(f"button « {button_text} » is a link, not a callback")
        query_id = str(next(self.api.query_ids))
        self.api.query_users[query_id] = self.id
        query = {
            "id": query_id,
            "from": self.as_dict(),
            "chat_instance": str(self.id),
            "data": button["callback_data"],
            "message": self.api.message_dict(message),
        }
        return await self.api.push_update({"callback_query": query})

    async def next_output(self, timeout: float = 10.0) -> Output:
        return await asyncio.wait_for(self.outputs.get(), timeout)

    async def next_message(self, timeout: float = 10.0) -> Output:
        """The next new message or edit shown to this user (documents are skipped)."""
        while True:
            output = await self.next_output(timeout)
            if output.kind != "document":
                return output

    async def next_document(self, timeout: float = 10.0) -> Output:
        while True:
            output = await self.next_output(timeout)
            if output.kind == "document":
                return output

    async def expect(self, fragment: str, timeout: float = 10.0) -> Output:
        """Skip outputs until one whose text contains ``fragment``."""
        seen: list[str] = []
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            try:
                output = await self.next_output(max(remaining, 0.01))
            except TimeoutError:
                raise AssertionError(f"« {fragment} » never came; saw: {seen}") from None
            if fragment in output.text:
                return output
            seen.append(output.text[:80])

    def drain(self) -> list[Output]:
        """What arrived and was not read yet."""
        drained = []
        while not self.outputs.empty():
            drained.append(self.outputs.get_nowait())
        return drained


class BotAPI:
    """The stand-in server. Use as ``async with BotAPI() as api``."""

    def __init__(
        self,
        token: str = TOKEN,
        clock: Callable[[], float] | None = None,
        username: str = "RelaisTestBot",
    ) -> None:
        self.token = token
        self.username = username
        self.clock = clock or time.monotonic
        self.calls: list[Call] = []
        self.messages: dict[tuple[int, int], BotMessage] = {}
        self.users: dict[int, ScriptedUser] = {}
        self.commands: list[dict[str, Any]] = []
        self.blocked: set[int] = set()
        self.throttled: dict[int, list[int]] = {}
        self.broken: dict[int, int] = {}
        self.webhook: tuple[str, str] | None = None
        self.down = False
        self.webhook_statuses: list[int] = []
        self.query_ids = itertools.count(1)
        self.query_users: dict[str, int] = {}
        self._message_ids = itertools.count(1)
        self._user_ids = itertools.count(1001)
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._arrived = asyncio.Condition()
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.port = 0

    # -- life cycle -------------------------------------------------------

    async def __aenter__(self) -> BotAPI:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        app = Starlette(
            routes=[Route("/bot{token}/{method}", self._endpoint, methods=["POST", "GET"])]
        )
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            await asyncio.sleep(0.005)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            async with self._arrived:
                self._arrived.notify_all()
            await self._task
            self._server = None

    @property
    def base_url(self) -> str:
        """What TELEGRAM_API_BASE_URL is set to (the token is appended by the library)."""
        return f"http://127.0.0.1:{self.port}/bot"

    # -- scripting ----------------------------------------------------------

    def user(self, first_name: str = "Camille", last_name: str = "Martin") -> ScriptedUser:
        scripted = ScriptedUser(self, next(self._user_ids), first_name, last_name)
        self.users[scripted.id] = scripted
        return scripted

    def block(self, chat_id: int) -> None:
        """From now on, sending to this chat answers 403 « bot was blocked by the user »."""
        self.blocked.add(chat_id)

    def break_next(self, chat_id: int, times: int = 1) -> None:
        """The next ``times`` sends to this chat answer 502 Bad Gateway (a network error)."""
        self.broken[chat_id] = self.broken.get(chat_id, 0) + times

    def throttle(self, chat_id: int, retry_after: int = 1, times: int = 1) -> None:
        """The next ``times`` sends to this chat answer 429 with ``retry_after`` seconds."""
        self.throttled.setdefault(chat_id, []).extend([retry_after] * times)

    def next_message_id(self) -> int:
        return next(self._message_ids)

    async def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates, or POST it to the webhook when one is set."""
        update_id = next(self._update_ids)
        if self.webhook is not None:
            url, secret = self.webhook
            async with httpx.AsyncClient() as client:
                reply = await client.post(
                    url,
                    json={"update_id": update_id, **update},
                    headers={"X-Telegram-Bot-Api-Secret-Token": secret},
                )
            self.webhook_statuses.append(reply.status_code)
            return update_id
        async with self._arrived:
            self._updates.append({"update_id": update_id, **update})
            self._arrived.notify_all()
        return update_id

    def calls_to(self, method: str, chat_id: int | None = None) -> list[Call]:
        return [
            call for call in self.calls
            if call.method == method and (chat_id is None or call.chat_id == chat_id)
        ]  # fmt: skip

    def find_button(
        self, chat_id: int, label: str, on: BotMessage | None
    ) -> tuple[BotMessage, dict[str, Any]]:
        candidates = [on] if on is not None else sorted(
            (m for m in self.messages.values() if m.chat_id == chat_id and not m.deleted),
            key=lambda m: m.message_id, reverse=True,
        )  # fmt: skip
        for message in candidates:
            for row in message.buttons:
                for button in row:
                    if button["text"] == label:
                        return message, button
        shown = [m.button_texts() for m in candidates[:3]]
        raise AssertionError(f"no button « {label} » for chat {chat_id}; latest buttons: {shown}")

    def message_dict(self, message: BotMessage) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": self.users[message.chat_id].chat()
            if message.chat_id in self.users
            else {"id": message.chat_id, "type": "private"},
            "from": self._me(),
        }
        if message.document is not None:
            data["document"] = {
                "file_id": f"doc{message.message_id}",
                "file_unique_id": f"udoc{message.message_id}",
                "file_name": message.document[0],
            }
            if message.text:
                data["caption"] = message.text
        else:
            data["text"] = message.text
        if message.buttons:
            data["reply_markup"] = {"inline_keyboard": message.buttons}
        return data

    # -- HTTP ---------------------------------------------------------------

    def _me(self) -> dict[str, Any]:
        return {
            "id": BOT_ID, "is_bot": True, "first_name": "Relais", "username": self.username,
            "can_join_groups": False, "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }  # fmt: skip

    async def _endpoint(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        if self.down:
            return _error(502, "Bad Gateway")
        method = request.path_params["method"]
        params, files = await _read_params(request)
        call = Call(method, params, self.clock())
        self.calls.append(call)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            call.status = 404
            return _error(404, "Not Found: method not found")
        refusal = self._refusal(method, call.chat_id)
        if refusal is not None:
            call.status = refusal.status_code
            return refusal
        try:
            result = await handler(params, files)
        except HTMLRejected as error:
            call.status = 400
            return _error(400, f"Bad Request: can't parse entities: {error}")
        except _BadRequest as error:
            call.status = 400
            return _error(400, f"Bad Request: {error}")
        return JSONResponse({"ok": True, "result": result})

    def _refusal(self, method: str, chat_id: int | None) -> JSONResponse | None:
        if chat_id is None or method in ("getUpdates", "getMe", "answerCallbackQuery"):
            return None
        if chat_id in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        if self.broken.get(chat_id):
            self.broken[chat_id] -= 1
            return _error(502, "Bad Gateway")
        pending = self.throttled.get(chat_id)
        if pending:
            retry_after = pending.pop(0)
            return _error(
                429,
                f"Too Many Requests: retry after {retry_after}",
                {"retry_after": retry_after},
            )
        return None

    async def _m_getMe(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        return self._me()

    async def _m_setMyCommands(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        self.commands = list(params.get("commands") or [])
        return True

    async def _m_deleteWebhook(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        self.webhook = None
        return True

    async def _m_setWebhook(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        self.webhook = (str(params["url"]), str(params.get("secret_token", "")))
        return True

    async def _m_getWebhookInfo(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        return {
            "url": self.webhook[0] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _m_getUpdates(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        async with self._arrived:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates and timeout > 0 and self._server and not self._server.should_exit:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._arrived.wait(), timeout)
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            return self._updates[:limit]

    async def _m_sendMessage(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        text = str(params.get("text", ""))
        message = self._store(int(params["chat_id"]), text, params, None)
        return self.message_dict(message)

    async def _m_sendDocument(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        if "document" not in files:
            raise _BadRequest("there is no document in the request")
        caption = str(params.get("caption", ""))
        message = self._store(int(params["chat_id"]), caption, params, files["document"])
        return self.message_dict(message)

    async def _m_editMessageText(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        message = self._existing(params)
        markup = str(params.get("text", ""))
        text = self._checked_text(markup, params)
        buttons = _buttons(params)
        if markup == message.html and buttons == message.buttons:
            raise _BadRequest("message is not modified")
        message.html, message.text, message.buttons, message.edited = markup, text, buttons, True
        self._show(message, "edit")
        return self.message_dict(message)

    async def _m_editMessageReplyMarkup(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        message = self._existing(params)
        message.buttons = _buttons(params)
        message.edited = True
        self._show(message, "edit")
        return self.message_dict(message)

    async def _m_deleteMessage(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        self._existing(params).deleted = True
        return True

    async def _m_answerCallbackQuery(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        user_id = self.query_users.get(str(params.get("callback_query_id")))
        if user_id is None:
            raise _BadRequest(
                "query is too old and response timeout expired or query id is invalid"
            )
        self.users[user_id].answers.append(params)
        return True

    def _existing(self, params: dict[str, Any]) -> BotMessage:
        key = (int(params["chat_id"]), int(params["message_id"]))
        message = self.messages.get(key)
        if message is None or message.deleted:
            raise _BadRequest("message to edit not found")
        return message

    def _checked_text(self, markup: str, params: dict[str, Any]) -> str:
        text = visible_text(markup) if params.get("parse_mode") == "HTML" else markup
        if len(text) > 4096:
            raise _BadRequest("message is too long")
        return text

    def _store(
        self,
        chat_id: int,
        markup: str,
        params: dict[str, Any],
        document: tuple[str, bytes] | None,
    ) -> BotMessage:
        text = self._checked_text(markup, params)
        if document is None and not text.strip():
            raise _BadRequest("message text is empty")
        message = BotMessage(
            chat_id, self.next_message_id(), markup, text, _buttons(params), document
        )
        self.messages[(chat_id, message.message_id)] = message
        self._show(message, "document" if document else "message")
        return message

    def _show(self, message: BotMessage, kind: str) -> None:
        scripted = self.users.get(message.chat_id)
        if scripted is not None:
            output = Output(kind, message, message.html, message.text, self.clock())
            scripted.outputs.put_nowait(output)


class _BadRequest(Exception):
    pass


def _buttons(params: dict[str, Any]) -> list[list[dict[str, Any]]]:
    markup = params.get("reply_markup") or {}
    rows: list[list[dict[str, Any]]] = markup.get("inline_keyboard", [])
    for row in rows:
        for button in row:
            data = button.get("callback_data")
            if data is not None and len(data.encode()) > 64:
                raise _BadRequest("BUTTON_DATA_INVALID")
    return rows


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, status_code=code)


async def _read_params(request: Request) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    """Form, multipart or JSON bodies, as python-telegram-bot sends them."""
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    raw: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    if content_type.startswith("multipart/form-data"):
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        parsed = BytesParser(policy=default_policy).parsebytes(head + body)
        for part in parsed.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            filename = part.get_filename()
            if filename is not None:
                files[str(name)] = (filename, payload)
            else:
                raw[str(name)] = payload.decode()
    elif content_type.startswith("application/json"):
        loaded = json.loads(body or b"{}")
        raw = {
            key: value if isinstance(value, str) else json.dumps(value)
            for key, value in loaded.items()
        }
    else:
        raw = dict(parse_qsl(body.decode(), keep_blank_values=True))
        raw.update(dict(request.query_params))
    params: dict[str, Any] = {}
    for key, value in raw.items():
        params[key] = json.loads(value) if key in JSON_FIELDS and value else value
    for key, (_filename, payload) in list(files.items()):
        if payload.startswith(b"attach://"):
            files[key] = files[payload.decode()[9:]]
    return params, files
