"""assets/src/make_art.py writes the icons only when they changed: run twice into a temp folder
(real Qt offscreen rendering, real files), the second run touches nothing, so running the art
script leaves git's tree clean."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ART = Path(__file__).resolve().parents[2] / "assets" / "src"


@pytest.fixture(scope="module")
def make_art():
    sys.path.insert(0, str(ART))
    try:
        import make_art

        yield make_art
    finally:
        sys.path.remove(str(ART))


def stamps(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in sorted(folder.iterdir())}


def test_a_second_run_leaves_every_icon_alone(qapp, make_art, tmp_path):
    make_art.write_icons(tmp_path)
    first = stamps(tmp_path)
    assert set(first) == {
        "app_icon.svg",
        "app_icon_1024.png",
        "menubar_template.svg",
        "menubarTemplate.png",
        "menubarTemplate@2x.png",
    }
    make_art.write_icons(tmp_path)
    assert stamps(tmp_path) == first


def test_an_icon_a_level_off_at_its_edges_is_the_same_icon_and_a_new_one_is_written(
    qapp, make_art, tmp_path
):
    from PySide6.QtGui import QColor, QImage

    make_art.write_icons(tmp_path)
    png = tmp_path / "menubarTemplate@2x.png"
    # GIVEN the PNG as another machine's rasterizer rounds it: one pixel one level apart
    image = QImage(str(png))
    pixel = QColor.fromRgba(image.pixel(18, 18))
    pixel.setAlpha(pixel.alpha() - 1 if pixel.alpha() else 1)
    image.setPixelColor(18, 18, pixel)
    image.save(str(png))
    nearby = png.read_bytes()
    make_art.write_icons(tmp_path)
    assert png.read_bytes() == nearby  # left as it is
    # WHEN the drawing really changed THEN the PNG is drawn again
    image.fill(0)
    image.save(str(png))
    make_art.write_icons(tmp_path)
    assert QImage(str(png)) != image and make_art.same_picture(
        png, make_art.render_png(tmp_path / "menubar_template.svg", 36)
    )
