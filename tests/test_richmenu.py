"""`flask richmenu`: the rich menu LINE would accept, with its image on the data API."""

from __future__ import annotations

import io

from PIL import Image

from messages.catalog import t
from messages.richmenu import menu_image, menu_object


def test_richmenu_is_created_uploaded_and_made_default(runner, fake_line):
    result = runner.invoke(args=["richmenu"])
    assert result.exit_code == 0, result.output
    [rich_menu_id] = fake_line.rich_menus
    assert fake_line.default_rich_menu == rich_menu_id
    content_type, png = fake_line.rich_menu_images[rich_menu_id]
    assert content_type == "image/png" and png == menu_image("ja")


def test_menu_buttons_send_the_keywords_residents_could_type():
    menu = menu_object("ja")
    texts = [area["action"]["text"] for area in menu["areas"]]
    assert texts == ["アンケート", "ワークショップ", "お知らせ設定", "計画の進捗", "意見", "ヘルプ"]
    assert menu["chatBarText"] == t("ja", "menu.menu")


def test_menu_image_meets_line_requirements():
    png = menu_image("en")
    image = Image.open(io.BytesIO(png))
    width, height = image.size
    assert image.format == "PNG" and len(png) < 1_000_000
    assert 800 <= width <= 2500 and height >= 250 and width / height >= 1.45
