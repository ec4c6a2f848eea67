"""Image outputs: their size read from the file (or the output's metadata) and a useful alt text."""

from __future__ import annotations

import base64
import io
import re

import pytest
from conftest import Site, code, display, nb
from PIL import Image

from nbpress.sources.images import image_size, image_title


def encoded(fmt: str, size: tuple[int, int] = (120, 80), **info: str) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGBA" if fmt in ("PNG", "WEBP") else "RGB", size, "white")
    if fmt == "PNG" and info:
        from PIL.PngImagePlugin import PngInfo

        meta = PngInfo()
        for key, value in info.items():
            meta.add_itxt(key, value) if key == "Description" else meta.add_text(key, value)
        image.save(out, fmt, pnginfo=meta)
    else:
        image.save(out, fmt, **({"lossless": True} if fmt == "WEBP" and size[0] % 2 else {}))
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
@pytest.mark.parametrize("size", [(120, 80), (641, 3)])
def test_size_from_the_header(fmt: str, size: tuple[int, int]) -> None:
    assert image_size(encoded(fmt, size)) == size


@pytest.mark.parametrize(("svg", "size"), [
    ('<svg xmlns="http://www.w3.org/2000/svg" width="460.8pt" height="345.6pt" viewBox="0 0 460.8 345.6">', (614, 461)),
    ('<?xml version="1.0"?>\n<svg width="300" height="150px">', (300, 150)),
    ('<svg viewBox="0 0 400 200" width="100%">', (400, 200)),  # a percentage: the view box
    ('<svg viewBox="0,0,400,200" height="100">', (200, 100)),  # one side: the other from the view box
    ("<svg>", None),
    ("not an image", None),
])
def test_svg_size(svg: str, size: tuple[int, int] | None) -> None:
    assert image_size((svg + "<rect/></svg>").encode()) == size


def test_truncated_files_have_no_size() -> None:
    assert image_size(encoded("JPEG")[:40]) is None
    assert image_size(b"\x89PNG\r\n\x1a\n") is None


def test_title_from_the_file() -> None:
    assert image_title(encoded("PNG", Title="Sales by month")) == "Sales by month"
    assert image_title(encoded("PNG", Description="Unicode: größer")) == "Unicode: größer"
    assert image_title(encoded("PNG")) == ""
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><title>Rates &amp; <tspan>prices</tspan></title></svg>'
    assert image_title(svg) == "Rates & prices"


def img_tags(site: Site, *cells: object) -> list[dict[str, str]]:
    site.post("n.ipynb", nb(*cells))
    body = site.load("n.ipynb").body
    return [dict(re.findall(r'(\w+)="([^"]*)"', tag)) for tag in re.findall(r"<img [^>]*>", body)]


def png_output(metadata: dict[str, object] | None = None, size: tuple[int, int] = (531, 306), **info: str) -> object:
    data = base64.b64encode(encoded("PNG", size, **info)).decode()
    return display({"image/png": data, "text/plain": "<Figure size 531x306 with 1 Axes>"}, metadata)


def test_an_image_gets_the_size_of_its_file(site: Site) -> None:
    (tag,) = img_tags(site, code("plt.show()", outputs=[png_output()]))
    assert (tag["width"], tag["height"]) == ("531", "306")
    assert tag["loading"] == "lazy"


def test_a_retina_figure_is_shown_at_the_size_its_metadata_gives(site: Site) -> None:
    (half,) = img_tags(site, code("plt.show()", outputs=[png_output({"image/png": {"width": 265}})]))
    assert (half["width"], half["height"]) == ("265", "153")  # the height keeps the file's shape
    (both,) = img_tags(site, code("x", outputs=[png_output({"image/png": {"width": 300, "height": 100}})]))
    assert (both["width"], both["height"]) == ("300", "100")


@pytest.mark.parametrize(("source", "metadata", "output_meta", "alt"), [
    ('ax.set_title("Beats")\nplt.show()', {}, None, "Beats"),  # the title the code gives the figure
    ("fig.suptitle('All runs')\nax.set_title('Run 1')", {}, None, "All runs"),  # the figure's, not an axis's
    ('df.plot(title="Sales")', {}, None, "Sales"),
    ('#| fig-cap: "Monthly sales"\ndf.plot(title="Sales")', {}, None, "Monthly sales"),  # Quarto's caption
    ("#| fig-alt: A bar chart\n#| fig-cap: Sales\ndf.plot()", {}, None, "A bar chart"),
    ("df.plot()", {"alt": "From the cell"}, None, "From the cell"),  # nbconvert's cell metadata
    ("df.plot()", {"mystnb": {"figure": {"caption": "MyST caption"}}}, None, "MyST caption"),
    ("df.plot(title='Sales')", {}, {"image/png": {"alt": "From the output"}}, "From the output"),
    ('plt.title(f"Run {i}")', {}, None, "Image output of cell 1"),  # nothing useful to say
])
def test_alt_text(site: Site, source: str, metadata: dict[str, object], output_meta: dict[str, object] | None,
                  alt: str) -> None:
    (tag,) = img_tags(site, code(source, outputs=[png_output(output_meta)], **metadata))
    assert tag["alt"] == alt


def test_alt_text_from_the_file_and_escaped(site: Site) -> None:
    (titled,) = img_tags(site, code("show()", outputs=[png_output(Title="Saved <with> a title")]))
    assert titled["alt"] == "Saved &lt;with&gt; a title"


def test_each_figure_of_a_cell_takes_its_own_title(site: Site) -> None:
    source = 'plt.title("First"); plt.show()\nplt.title("Second"); plt.show()'
    tags = img_tags(site, code(source, outputs=[png_output(), png_output()]))
    assert [t["alt"] for t in tags] == ["First", "Second"]
