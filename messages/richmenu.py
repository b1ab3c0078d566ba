"""The rich menu: six large buttons, each sending the keyword a resident could type."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from messages.catalog import t
from messages.fonts import IPAEX_GOTHIC

WIDTH, HEIGHT = 2500, 1686
ENTRIES = (
    "menu.survey",
    "menu.events",
    "menu.notify",
    "menu.progress",
    "menu.opinion",
    "menu.help",
)
FONT = IPAEX_GOTHIC
COLOURS = ("#06C755", "#2E7D32", "#00796B", "#1565C0", "#6A1B9A", "#5D4037")


def _cells() -> list[tuple[int, int, int, int]]:
    w, h = WIDTH // 3, HEIGHT // 2
    return [(c * w, r * h, w, h) for r in range(2) for c in range(3)]


def menu_object(lang: str = "ja") -> dict:
    """The rich menu object (LINE's RichMenuRequest shape)."""
    areas = [
        {
            "bounds": {"x": x, "y": y, "width": w, "height": h},
            "action": {"type": "message", "label": t(lang, key), "text": t(lang, key)},
        }
        for key, (x, y, w, h) in zip(ENTRIES, _cells(), strict=True)
    ]
    return {
        "size": {"width": WIDTH, "height": HEIGHT},
        "selected": True,
        "name": f"machikoe-main-{lang}",
        "chatBarText": t(lang, "menu.menu"),
        "areas": areas,
    }


def menu_image(lang: str = "ja") -> bytes:
    """The menu as a PNG (under 1 MB), big high-contrast labels for older residents."""
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT), 110)
    for key, colour, (x, y, w, h) in zip(ENTRIES, COLOURS, _cells(), strict=True):
        draw.rectangle([x + 12, y + 12, x + w - 12, y + h - 12], fill=colour)
        label = t(lang, key)
        box = draw.textbbox((0, 0), label, font=font)
        tw, th = box[2] - box[0], box[3] - box[1]
        draw.text((x + (w - tw) / 2, y + (h - th) / 2 - box[1]), label, fill="white", font=font)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
