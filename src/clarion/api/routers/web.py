"""The web page: plain HTML, JS and CSS shipped in the package (src/clarion/web), no build step.

``/`` is the page and ``/web/<file>`` its assets. They hold no secret, and a browser has to load
the page before it can ask for an API key, so ``PublicPage`` serves them ahead of the key check;
every API call the page makes still needs the key. The page says whether the server wants a key
(a ``clarion-api-keys`` meta tag), so that it asks for one before calling the API."""

from __future__ import annotations

from importlib import resources

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from clarion.api.errors import error_response

ASSETS = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}

# The page runs no inline script or style and talks only to its own origin; media comes from
# blob: URLs (MediaSource and finished files).
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' blob:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
KEYS_OPTIONAL = b'<meta name="clarion-api-keys" content="optional">'
KEYS_REQUIRED = b'<meta name="clarion-api-keys" content="required">'


def _asset(request: Request, name: str) -> Response:
    if name not in ASSETS:
        return error_response(404, f"no such page asset: {name!r}", "invalid_request_error", code="not_found")
    body = resources.files("clarion").joinpath("web", name).read_bytes()
    headers = {
        # Revalidate every time: the files change with the installed version, never in place.
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    if name == "index.html":
        headers["Content-Security-Policy"] = CSP
        settings = request.app.state.settings
        if settings.api_keys or settings.api_keys_file:
            body = body.replace(KEYS_OPTIONAL, KEYS_REQUIRED)
    return Response(body, media_type=ASSETS[name], headers=headers)


async def page(request: Request) -> Response:
    return _asset(request, "index.html")


async def asset(request: Request) -> Response:
    return _asset(request, str(request.path_params["name"]))


# Plain Starlette routes (GET also answers HEAD): they run outside FastAPI's own routing.
ROUTES = [Route("/", page, methods=["GET"]), Route("/web/{name}", asset, methods=["GET"])]


class PublicPage:
    """ASGI middleware, added outside the API-key check: GET and HEAD for the page and its
    assets are answered here, everything else goes on to the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            for route in ROUTES:
                match, child = route.matches(scope)
                if match is Match.FULL:
                    scope.update(child)
                    scope["route"] = route  # the route label in metrics and the access log
                    await route.handle(scope, receive, send)
                    return
        await self.app(scope, receive, send)
