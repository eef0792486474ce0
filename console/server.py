"""The console's aiohttp application: authentication, pages, live updates, and serving.

- Every page but `/login`, `/healthz` and `/static/` needs a user: a bearer token in
  the `Authorization` header or the sealed session cookie (`session.py`), checked with
  a TokenReview (`access.py`).
- Pages are server-rendered HTML (Jinja2, autoescaped) and complete without
  JavaScript. `static/console.js` adds live updates: it re-requests the page with
  `If-None-Match` and swaps the main content when the page changed (HTTP ETags, no
  extra endpoint, no state on the server).
- Nothing is fetched from elsewhere at run time: templates, CSS and JavaScript are
  package data, and the Content-Security-Policy allows only this origin.
"""

from __future__ import annotations

import hashlib
import logging
import ssl
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2
from aiohttp import web
from markupsafe import Markup, escape

from konflux import __version__
from konflux.console.access import ClusterAccess
from konflux.console.catalogue import RuleCatalogue
from konflux.console.errors import ConsoleError, Unauthenticated
from konflux.console.session import COOKIE, SessionSealer, bearer
from konflux.engine.sigstore.keys import PublicKey

log = logging.getLogger("konflux.console")

PUBLIC = ("/login", "/healthz", "/static/")
POLL_MS = 3000
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def _package_dir(name: str) -> Path:
    return Path(str(resources.files("konflux.console").joinpath(name)))


# --- templates ---------------------------------------------------------------------------------

_URL = __import__("re").compile(r"https://[^\s<>\"')\]]+")


def linkify(text: Any) -> Markup:
    """Escape, then turn https URLs into links (rule solutions point at documentation)."""
    escaped = str(escape(str(text or "")))
    return Markup(
        _URL.sub(
            lambda m: f'<a href="{m.group(0)}" rel="noreferrer noopener">{m.group(0)}</a>', escaped
        )
    )


def short_image(ref: Any) -> str:
    """`repo@sha256:0123456789ab…`: digests are long, their head is enough to tell them apart."""
    text = str(ref or "")
    repo, at, digest = text.partition("@")
    if at and len(digest) > 19:
        return f"{repo}@{digest[:19]}…"
    return text


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_package_dir("templates"))),
        autoescape=True,
        undefined=jinja2.ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["linkify"] = linkify
    env.filters["short_image"] = short_image
    env.filters["urlpart"] = lambda v: quote(str(v), safe="")
    return env


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


async def render(
    request: web.Request, template: str, *, status: int = 200, **context: Any
) -> web.Response:
    env: jinja2.Environment = request.app["templates"]
    view = request.get("view")
    body = (
        env.get_template(template)
        .render(
            user=view.user if view is not None else None,
            version=__version__,
            poll_ms=request.app["poll_ms"],
            path=request.path,
            **context,
        )
        .encode()
    )
    etag = _etag(body)
    headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Cookie, Authorization"}
    if status == 200 and etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    return web.Response(
        body=body, status=status, content_type="text/html", charset="utf-8", headers=headers
    )


# --- authentication ----------------------------------------------------------------------------


def _token(request: web.Request) -> str:
    header = bearer(request.headers.get("Authorization", ""))
    if header:
        return header
    cookie = request.cookies.get(COOKIE)
    if cookie:
        return request.app["sealer"].open(cookie) or ""
    return ""


def _safe_next(value: str) -> str:
    """Only a path on this console: no scheme, no host, no `//` (an open redirect otherwise)."""
    parts = urlsplit(value or "/")
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return "/"
    if "\\" in value:
        return "/"
    return value


@web.middleware
async def security_headers(request: web.Request, handler: Any) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


@web.middleware
async def authenticated(request: web.Request, handler: Any) -> web.StreamResponse:
    if request.path.startswith(PUBLIC) and request.path != "/logout":
        return await handler(request)
    access: ClusterAccess = request.app["access"]
    try:
        token = _token(request)
        if not token:
            raise Unauthenticated("log in with a Kubernetes bearer token")
        user = await access.authenticate(token)
    except Unauthenticated as exc:
        if request.method == "GET" and "text/html" in request.headers.get("Accept", "text/html"):
            location = f"/login?next={quote(request.path_qs, safe='')}"
            if _token(request):
                location += "&reason=" + quote(str(exc), safe="")
            response = web.HTTPFound(location)
            if request.cookies.get(COOKIE):
                response.del_cookie(COOKIE, path="/")
            raise response from None
        raise web.HTTPUnauthorized(text=str(exc), headers={"WWW-Authenticate": "Bearer"}) from None
    request["view"] = access.view(user)
    return await handler(request)


@web.middleware
async def error_pages(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)
    except ConsoleError as exc:
        return await render(
            request, "error.html", status=exc.status, error=str(exc), code=exc.status
        )


# --- login, logout, health ---------------------------------------------------------------------

extra_routes = web.RouteTableDef()


@extra_routes.get("/login")
async def login_form(request: web.Request) -> web.Response:
    return await render(
        request,
        "login.html",
        next=_safe_next(request.query.get("next", "/")),
        reason=request.query.get("reason", ""),
    )


def _same_origin(request: web.Request) -> bool:
    """A form post from this console's own pages (login CSRF otherwise)."""
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.host


@extra_routes.post("/login")
async def login(request: web.Request) -> web.StreamResponse:
    if not _same_origin(request):
        raise web.HTTPForbidden(text="cross-site login refused")
    form = await request.post()
    token = str(form.get("token") or "").strip()
    target = _safe_next(str(form.get("next") or "/"))
    try:
        await request.app["access"].authenticate(token)
    except Unauthenticated as exc:
        return await render(request, "login.html", status=401, next=target, reason=str(exc))
    response = web.HTTPSeeOther(target)
    response.set_cookie(
        COOKIE,
        request.app["sealer"].seal(token),
        httponly=True,
        samesite="Strict",
        secure=request.app["secure"],
        path="/",
        max_age=request.app["sealer"].max_age,
    )
    raise response


@extra_routes.post("/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    if not _same_origin(request):
        raise web.HTTPForbidden(text="cross-site logout refused")
    response = web.HTTPSeeOther("/login")
    response.del_cookie(COOKIE, path="/")
    raise response


@extra_routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok\n")


# --- the application ---------------------------------------------------------------------------


def make_app(
    access: ClusterAccess,
    catalogue: RuleCatalogue | None = None,
    *,
    sealer: SessionSealer | None = None,
    secure: bool = True,
    poll_ms: int = POLL_MS,
    vsa_keys: tuple[PublicKey, ...] = (),
) -> web.Application:
    """The console over `access`; `secure` marks the session cookie Secure (served over TLS);
    a VSA's verdict is shown as one only when it is signed by one of `vsa_keys`."""
    from konflux.console.pages import routes

    app = web.Application(middlewares=[security_headers, error_pages, authenticated])
    app["access"] = access
    app["catalogue"] = catalogue or RuleCatalogue()
    app["sealer"] = sealer or SessionSealer()
    app["secure"] = secure
    app["poll_ms"] = poll_ms
    app["vsa_keys"] = tuple(vsa_keys)
    app["templates"] = environment()
    app.router.add_routes(extra_routes)
    app.router.add_routes(routes)
    app.router.add_static("/static/", _package_dir("static"), append_version=False)

    async def close(_: web.Application) -> None:
        await access.close()

    app.on_cleanup.append(close)
    return app


async def start(
    app: web.Application, host: str, port: int, tls: ssl.SSLContext | None = None
) -> web.AppRunner:
    """Serve `app` until the returned runner is cleaned up (`await runner.cleanup()`)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port, ssl_context=tls).start()
    return runner
