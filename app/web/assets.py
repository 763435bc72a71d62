"""Third-party JavaScript served from installed packages: htmx from npm, plotly.js from the
plotly Python package. Nothing comes from a CDN; the page works with no network."""

from __future__ import annotations

from pathlib import Path

import plotly
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse

from app.web.errors import ClientError

router = APIRouter(include_in_schema=False)

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def vendor_files(node_modules: Path) -> dict[str, Path]:
    return {
        "htmx.min.js": node_modules / "htmx.org" / "dist" / "htmx.min.js",
        "plotly.min.js": PLOTLY_JS,
    }


@router.get("/vendor/{name}")
async def vendor(name: str, request: Request) -> FileResponse:
    path = vendor_files(request.app.state.settings.node_modules_dir).get(name)
    if path is None or not path.is_file():
        hint = " (run `npm ci`)" if name == "htmx.min.js" else ""
        raise ClientError(f"no such asset: {name}{hint}", 404, "not_found")
    return FileResponse(
        path, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"}
    )


@router.get("/favicon.ico")
async def favicon() -> RedirectResponse:
    return RedirectResponse("/static/favicon.svg", status_code=301)
