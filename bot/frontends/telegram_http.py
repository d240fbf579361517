"""The Bot API requests of the Telegram frontend: aiohttp under PTB, and answers left unparsed where unused.

Per Bot API request, httpx and httpcore cost about twice the CPU of aiohttp on this project's machine
(bench/telegram_e2e.py prints both), and a bot spends most of its CPU on requests. PTB lets a request class
be plugged in (`telegram.request.BaseRequest`); this one keeps HTTPXRequest's contract: the same form-encoded
or multipart bodies, the same default timeouts, and errors raised as PTB's own (TimedOut for any timeout,
NetworkError for any other failure of the connection), so callers see no difference.

PTB parses every answer into its objects: ~80 µs for a sent Message, of which a reply needs only the id and
an edit nothing. `LeanBot.call` returns Telegram's answer as it came.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import JSONDict, ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.ext import ExtBot
from telegram.request import BaseRequest, RequestData

from bot.frontends.telegram_limits import Lane

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class AiohttpRequest(BaseRequest):
    """`connection_pool_size` connections at most; the timeouts as HTTPXRequest's (seconds, None: none).

    aiohttp has no timeout per write: the write timeout (or `media_write_timeout` for uploads) bounds the
    whole request together with the others, so a stalled upload still ends."""

    __slots__ = ("_default_timeout", "_defaults", "_media_write_timeout", "_pool_size", "_session")

    def __init__(self, connection_pool_size: int = 8, read_timeout: float | None = 5.0,
                 write_timeout: float | None = 5.0, connect_timeout: float | None = 5.0,
                 pool_timeout: float | None = 1.0, media_write_timeout: float | None = 20.0) -> None:
        self._pool_size = connection_pool_size
        self._defaults = (read_timeout, write_timeout, connect_timeout, pool_timeout)
        self._default_timeout = _timeout(*self._defaults)  # most requests: made once
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._defaults[0]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT}, auto_decompress=True)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data is not None and request_data.contains_files
        given = (read_timeout, write_timeout, connect_timeout, pool_timeout)
        timeout = self._default_timeout
        if files or not all(isinstance(value, DefaultValue) for value in given):
            read, write, connect, pool = (default if isinstance(value, DefaultValue) else value
                                          for value, default in zip(given, self._defaults, strict=True))
            if isinstance(write_timeout, DefaultValue) and files:
                write = self._media_write_timeout
            timeout = _timeout(read, write, connect, pool)
        body: Any = None
        headers: dict[str, str] | None = None
        if request_data is not None and files:
            body = _multipart(request_data)
        elif request_data is not None:
            body, headers = urlencode(request_data.json_parameters), FORM
        try:
            async with self._session.request(method, url, data=body, headers=headers,
                                             timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as error:  # aiohttp's timeouts are TimeoutErrors too
            raise TimedOut(f"aiohttp.{type(error).__name__}") from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


def _timeout(read: float | None, write: float | None, connect: float | None,
             pool: float | None) -> aiohttp.ClientTimeout:
    # aiohttp's `connect` covers waiting for a pooled connection and making one; `sock_connect` only the latter.
    waits = (read, write, connect, pool)
    return aiohttp.ClientTimeout(
        total=sum(waits) if None not in waits else None,  # type: ignore[arg-type]
        connect=connect + pool if connect is not None and pool is not None else None,
        sock_connect=connect, sock_read=read)


def _multipart(request_data: RequestData) -> aiohttp.FormData:
    form = aiohttp.FormData(quote_fields=False)
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form


class LeanBot(ExtBot[Lane]):
    """PTB's bot, plus `call`: a Bot API method whose answer is not parsed into PTB objects."""

    __slots__ = ()

    async def call(self, endpoint: str, data: JSONDict, lane: Lane) -> Any:
        """Telegram's result as it came (a dict, or True); through the rate limiter in `lane`, and failing
        with the same TelegramErrors as PTB's own methods. `data`: the method's parameters, PTB objects
        (keyboards, reply parameters) allowed; None values are left out."""
        return await self._post(endpoint, data, api_kwargs=self._merge_api_rl_kwargs(None, lane))
