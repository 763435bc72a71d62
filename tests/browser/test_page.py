"""The page in a real browser against a real server running the shipped model."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from app.web.state import VIEWS
from tests.browser.conftest import shot

pytestmark = pytest.mark.browser

PLOT = "#heatmap .js-plotly-plot"


def plot_info(page: Any, selector: str = PLOT) -> dict[str, Any]:
    """Shape, values and title of the first trace of the plot at `selector`."""
    return page.evaluate(
        """sel => { const el = document.querySelector(sel); const z = el.data[0].z;
           return {rows: z.length, cols: z[0].length, z: z, title: el.layout.title.text}; }""",
        selector,
    )


def wait_plot(page: Any, selector: str = PLOT) -> None:
    page.wait_for_selector(f"{selector} .main-svg")


def submit(page: Any, text: str) -> None:
    page.fill("#text", text)
    page.click("#sentence-form button[type=submit]")


def token_count(page: Any, label: str) -> int:
    return int(page.locator(f'ol.tokens[aria-label="{label}"] li').count())


def test_type_submit_draws_translation_and_heatmap(watched: Any, server: str) -> None:
    page, _ = watched
    page.goto(server)
    submit(page, "My brother likes green apples.")
    page.wait_for_selector(".translation")
    wait_plot(page)
    assert page.locator(".translation").inner_text().strip()
    info = plot_info(page)
    n_source = token_count(page, "source tokens")
    assert (info["rows"], info["cols"]) == (n_source, n_source)  # encoder self-attention is S×S
    for row in info["z"]:
        assert abs(sum(row) - 1.0) < 0.01
    assert "text=My+brother" in page.url or "text=My%20brother" in page.url
    shot(page, "explorer")


def test_change_head_swaps_heatmap_and_url(watched: Any, server: str) -> None:
    page, _ = watched
    page.goto(f"{server}/?text={quote('Tom is reading a letter.')}")
    wait_plot(page)
    before = plot_info(page)
    page.click('#head-picker [data-axis="head"] a:text-is("H3")')
    page.wait_for_selector('#head-picker a[aria-current=true]:text-is("H3")')
    wait_plot(page)
    after = plot_info(page)
    assert "head 3" in after["title"]
    assert after["z"] != before["z"]
    assert "head=3" in page.url
    # the sentence box was not re-rendered: what the person typed stays
    assert page.input_value("#text") == "Tom is reading a letter."


def test_arrow_keys_change_head_and_layer(watched: Any, server: str) -> None:
    page, _ = watched
    page.goto(f"{server}/?text={quote('We are late.')}")
    wait_plot(page)
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => location.search.includes('head=1')")
    page.keyboard.press("ArrowDown")
    page.wait_for_function("() => location.search.includes('layer=1')")
    wait_plot(page)
    assert "layer 1, head 1" in plot_info(page)["title"]


def test_permalink_reload_and_back_button(watched: Any, server: str) -> None:
    page, _ = watched
    url = f"{server}/?text={quote('The cat is sleeping.')}&kind=cross&layer=2&head=5"
    page.goto(url)
    wait_plot(page)
    first = plot_info(page)
    assert "Cross" in first["title"] and "layer 2, head 5" in first["title"]
    n_target = token_count(page, "output tokens with probabilities")
    n_source = token_count(page, "source tokens")
    assert (first["rows"], first["cols"]) == (n_target, n_source)  # cross is T×S
    page.reload()
    wait_plot(page)
    assert plot_info(page)["z"] == first["z"]
    page.click('#head-picker [data-axis="head"] a:text-is("mean")')
    page.wait_for_function("() => location.search.includes('head=mean')")
    page.go_back()
    page.wait_for_function("() => location.search.includes('head=5')")
    wait_plot(page)
    assert "head 5" in plot_info(page)["title"]


def test_compare_view_shows_three_linked_heatmaps(watched: Any, server: str) -> None:
    page, _ = watched
    page.goto(f"{server}/?text={quote('I lost my keys.')}&view=compare")
    page.wait_for_function(
        "() => document.querySelectorAll('.compare-grid .js-plotly-plot .main-svg').length >= 3"
    )
    plots = page.locator(".compare-grid").first.locator(".js-plotly-plot")
    assert plots.count() == 3
    titles = page.evaluate(
        "() => Array.from(document.querySelectorAll('.compare-grid .js-plotly-plot'))"
        ".map(e => e.layout.title.text)"
    )
    assert [t.split(" ·")[0] for t in titles] == ["Encoder self", "Decoder masked self", "Cross"]
    # shared colour scale: the same zmax on all three
    zmax = page.evaluate(
        "() => Array.from(document.querySelectorAll('.compare-grid .js-plotly-plot'))"
        ".map(e => e.data[0].zmax)"
    )
    assert len(set(zmax)) == 1
    drag = page.locator(".compare-grid .js-plotly-plot").nth(2).locator(".nsewdrag").first
    drag.scroll_into_view_if_needed()
    box = drag.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.figure.linked.js-plotly-plot'))"
        ".every(e => (e.layout.shapes || []).length > 0)"
    )
    shot(page, "compare")
    page.fill("input[name=text2]", "I lost my key.")
    page.click(".second-sentence button[type=submit]")
    page.wait_for_selector("text=B translates as")
    shot(page, "compare-two-sentences")


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "I ❤️ Paris 🇫🇷",
        "مرحبا بالعالم",
        "a & b < c",
    ],
)
def test_hostile_and_odd_input_is_shown_as_text(watched: Any, server: str, text: str) -> None:
    page, watch = watched
    page.goto(server)
    submit(page, text)
    page.wait_for_selector(".translation")
    wait_plot(page)
    assert page.input_value("#text") == text
    assert page.locator("img[src=x]").count() == 0
    assert page.locator("#workspace script").count() == 0
    chips = "".join(page.locator('ol.tokens[aria-label="source tokens"] li').all_inner_texts())
    for ch in '<>"&':
        if ch in text:
            assert ch in chips  # shown literally in the token row
    ticks = page.evaluate(f"() => document.querySelector('{PLOT}').layout.xaxis.ticktext.join('')")
    assert "<script" not in ticks and "<img" not in ticks  # escaped for plotly's label markup
    assert watch.dialogs == []


def test_bad_input_shows_inline_message_and_keeps_text(watched: Any, server: str) -> None:
    page, _ = watched
    page.goto(server)
    submit(page, "   ")
    page.wait_for_selector("#workspace .error")
    assert "empty" in page.locator("#workspace .error").inner_text()
    long_text = "This sentence is far too long for the model. " * 40
    submit(page, long_text)
    page.wait_for_function("() => document.querySelector('#workspace .error').innerText.includes('limit')")
    assert page.input_value("#text") == long_text
    shot(page, "bad-input")


def test_server_failure_shows_message_and_keeps_text(watched: Any, server: str) -> None:
    page, watch = watched
    page.goto(server)
    page.route("**/?text=*", lambda route: route.fulfill(status=503, body="down"))
    submit(page, "Where is my hat?")
    page.wait_for_selector("#status:not([hidden])")
    assert "503" in page.locator("#status").inner_text()
    assert page.input_value("#text") == "Where is my hat?"
    watch.errors.clear()  # the browser logs the deliberate 503


@pytest.mark.parametrize("view", VIEWS)
def test_every_view_renders_its_plots(watched: Any, server: str, view: str) -> None:
    page, _ = watched
    page.goto(f"{server}/?text={quote('She drinks coffee every morning.')}&view={view}")
    page.wait_for_selector(f".view-body[data-view={view}]")
    expected = page.locator(".view-body [data-figure]").count()
    if expected:
        page.wait_for_function(
            f"() => document.querySelectorAll('.view-body .js-plotly-plot .main-svg').length >= {expected}"
        )
    assert page.locator(".explain").inner_text().strip()
    current = page.locator(".tabs a[aria-current=true]")
    assert current.count() == 1
    assert current.inner_text().strip() == VIEWS[view]
    shot(page, f"view-{view}")


def test_model_view_click_opens_head_in_explorer(watched: Any, server: str) -> None:
    page, _ = watched
    page.goto(f"{server}/?text={quote('Open the door.')}&view=model&kind=decoder")
    page.wait_for_selector(".grid .main-svg")
    page.click(".grid-links .picker:nth-child(2) a:text-is('H4')")
    page.wait_for_function("() => !location.search.includes('view=model')")
    wait_plot(page)
    assert "layer 1, head 4" in plot_info(page)["title"]
    assert "Decoder" in plot_info(page)["title"]


def test_ablation_reruns_translation(watched: Any, server: str) -> None:
    page, _ = watched
    page.goto(f"{server}/?text={quote('I am cold.')}&view=ablation")
    for h in range(8):
        page.check(f"input[value='cross.0.{h}']")
    page.click(".ablation-form button.primary")
    page.wait_for_selector(".ablation-result")
    assert "8 head(s) off" in page.locator(".ablation-result").inner_text().lower()
    assert "ablate=cross.0.0" in page.url


def test_narrow_window_has_no_horizontal_scroll(browser: Any, server: str) -> None:
    context = browser.new_context(viewport={"width": 420, "height": 900})
    page = context.new_page()
    page.goto(f"{server}/?text={quote('Where is the station?')}&view=compare")
    page.wait_for_selector(".compare-grid .main-svg")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    shot(page, "narrow-compare")
    context.close()
    assert overflow <= 1


def test_view_json_download_matches_the_view(watched: Any, server: str) -> None:
    page, _ = watched
    page.goto(f"{server}/?text={quote('He is tall.')}&kind=cross&layer=1&head=2")
    href = page.get_attribute(".view-export a", "href")
    assert href and href.startswith("/view.json?")
    data = page.request.get(server + href).json()["data"]
    assert data["kind"] == "cross" and data["layer"] == 1 and data["head"] == 2
    wait_plot(page)
    z = plot_info(page)["z"]
    assert len(data["weights"]) == len(z) and len(data["weights"][0]) == len(z[0])
