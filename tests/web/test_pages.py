"""HTML routes through TestClient: full pages vs htmx partials, escaping, assets, view JSON.

The browser tests check what a person sees; these check the server side of the same
contract quickly and on every view.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from app.transformer.checkpoint import LoadedModel
from app.web.state import VIEWS
from tests.web.conftest import make_client

TEXT = "I like the red apple."
HX = {"HX-Request": "true"}


@pytest.fixture(scope="module")
def pages(tiny_trained: LoadedModel) -> Iterator[TestClient]:
    with make_client({"tiny-trained": tiny_trained}) as client:
        yield client


def url(**params: object) -> str:
    return "/?" + urlencode(params)


@pytest.mark.parametrize(
    ("headers", "has_page", "marker"),
    [
        ({}, True, 'id="workspace"'),
        ({**HX, "HX-Target": "workspace"}, False, 'id="view"'),
        ({**HX, "HX-Target": "view"}, False, 'class="tabs"'),
        ({**HX, "HX-Target": "heatmap"}, False, 'id="head-picker"'),
        ({**HX, "HX-Target": "workspace", "HX-History-Restore-Request": "true"}, True, 'id="workspace"'),
        ({**HX, "HX-Target": "something-else"}, True, 'id="workspace"'),
    ],
)
def test_page_or_partial_by_htmx_target(
    pages: TestClient, headers: dict[str, str], has_page: bool, marker: str
) -> None:
    response = pages.get(url(text=TEXT), headers=headers)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["vary"]
    assert marker in response.text
    assert ("<html" in response.text) is has_page


@pytest.mark.parametrize("view", list(VIEWS))
def test_every_view_renders_with_figures_and_json(pages: TestClient, view: str) -> None:
    response = pages.get(url(text=TEXT, view=view), headers={**HX, "HX-Target": "view"})
    assert response.status_code == 200
    assert f'data-view="{view}"' in response.text
    if view != "ablation":
        assert "data-figure=" in response.text
    numbers = pages.get("/view.json?" + urlencode({"text": TEXT, "view": view}))
    assert numbers.status_code == 200
    assert numbers.json()["view"] == view


def test_explorer_state_from_url_is_rendered(pages: TestClient) -> None:
    html = pages.get(url(text=TEXT, kind="cross", layer=1, head=3)).text
    assert 'aria-current="true">H3<' in html and 'aria-current="true">L1<' in html
    data = pages.get("/view.json?" + urlencode({"text": TEXT, "kind": "cross", "layer": 1, "head": 3})).json()
    assert (data["data"]["kind"], data["data"]["layer"], data["data"]["head"]) == ("cross", 1, 3)


def test_out_of_range_or_garbage_state_is_clamped_not_an_error(pages: TestClient) -> None:
    response = pages.get(url(text=TEXT, kind="nonsense", layer=99, head=-4, view="nope", query="x"))
    assert response.status_code == 200
    assert 'aria-current="true">L1<' in response.text  # the tiny model has 2 layers: clamped to the last


@pytest.mark.parametrize(
    ("text", "message"),
    [("   ", "text is empty"), ("word " * 300, "the limit is")],
)
def test_bad_text_is_an_inline_message(pages: TestClient, text: str, message: str) -> None:
    response = pages.get(url(text=text), headers={**HX, "HX-Target": "workspace"})
    assert response.status_code == 200
    assert 'class="card error"' in response.text and message in response.text


def test_typed_markup_is_escaped_everywhere(pages: TestClient) -> None:
    hostile = '"><img src=x onerror=alert(1)><script>alert(1)</script>'
    html = pages.get(url(text=hostile)).text
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;" in html  # in the textarea and the token row, as text


def test_vendor_scripts_come_from_installed_packages(pages: TestClient) -> None:
    for name in ("htmx.min.js", "plotly.min.js"):
        response = pages.get(f"/vendor/{name}")
        assert response.status_code == 200, name
        assert len(response.content) > 10_000
    assert pages.get("/vendor/other.js").status_code == 404
    html = pages.get("/").text
    assert "https://" not in html.split("<body")[0]  # nothing in <head> points off-site


def test_home_page_without_text_invites_a_sentence(pages: TestClient) -> None:
    html = pages.get("/").text
    assert "See what every attention head does" in html
    assert 'data-text="I am cold."' in html


def test_beam_choice_is_part_of_the_page_state(pages: TestClient) -> None:
    html = pages.get(url(text=TEXT, beam=4)).text
    assert "French (beam 4)" in html
    assert '<option value="4" selected>' in html
    assert "beam=4" in html  # links keep it
    assert "French (greedy)" in pages.get(url(text=TEXT, beam="junk")).text


@pytest.mark.parametrize("target", ["view", "heatmap", "replay-panel"])
def test_inner_partials_with_bad_text_show_the_message(pages: TestClient, target: str) -> None:
    response = pages.get(url(text="  ", view="replay"), headers={**HX, "HX-Target": target})
    assert response.status_code == 200
    assert "text is empty" in response.text
