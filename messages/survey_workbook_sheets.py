"""The survey workbook's sheet layouts: sheet names, items, column headings, help and examples.

Staff fill the workbook in Japanese; these are the words its sheets carry and that reading it
back looks for (handlers/survey_workbook.py reads, handlers/survey_workbook_template.py writes).
`ITEM` and `COL` name each アンケート item and 質問 column by the field it fills.
"""

from __future__ import annotations

SURVEY_SHEET, QUESTION_SHEET, HELP_SHEET = "アンケート", "質問", "説明"
ITEM_HEADER, VALUE_HEADER = "項目", "値"
SURVEY_HEADERS = (ITEM_HEADER, VALUE_HEADER)
EN = "（英語）"  # the English twin of an item or column: its name plus this

# アンケート sheet: the item each field is written in
ITEM = {
    "id": "ID",
    "title": "タイトル",
    "title_en": "タイトル" + EN,
    "description": "説明",
    "opens_at": "開始",
    "closes_at": "終了",
    "anonymous": "匿名",
    "min_age": "最低年齢",
    "residency": "対象",
    "description_en": "説明" + EN,
    "minutes": "所要時間（分）",
}
# item → field path (the interface's rows, then our optional ones)
ITEMS = {
    ITEM["id"]: ("id",),
    ITEM["title"]: ("title",),
    ITEM["title_en"]: ("title", "en"),
    ITEM["description"]: ("description",),
    ITEM["opens_at"]: ("opens_at",),
    ITEM["closes_at"]: ("closes_at",),
    ITEM["anonymous"]: ("anonymous",),
    ITEM["min_age"]: ("eligibility", "min_age"),
    ITEM["residency"]: ("eligibility", "residency"),
}
EXTRA_ITEMS = {ITEM["description_en"]: ("description", "en"), ITEM["minutes"]: ("minutes",)}

# 質問 sheet: the column each question field is written in
COL = {
    "id": "ID",
    "type": "種類",
    "text": "質問文",
    "text_en": "質問文" + EN,
    "choices": "選択肢",
    "choices_en": "選択肢" + EN,
    "required": "必須",
    "max_choices": "最大選択数",
    "min": "最小",
    "max": "最大",
    "min_label": "最小ラベル",
    "max_label": "最大ラベル",
    "max_length": "最大文字数",
    "show_if": "表示条件",
    "values": "選択肢の値",
    "min_label_en": "最小ラベル" + EN,
    "max_label_en": "最大ラベル" + EN,
    "middle": "途中のラベル",
    "middle_en": "途中のラベル" + EN,
}
QUESTION_HEADERS = tuple(
    COL[k]
    for k in (
        "id",
        "type",
        "text",
        "text_en",
        "choices",
        "choices_en",
        "required",
        "max_choices",
        "min",
        "max",
        "min_label",
        "max_label",
        "max_length",
        "show_if",
    )
)
EXTRA_HEADERS = tuple(
    COL[k] for k in ("values", "min_label_en", "max_label_en", "middle", "middle_en")
)
WIDTHS = {COL["id"]: 14, COL["type"]: 12, COL["text"]: 40, COL["text_en"]: 30, COL["choices"]: 30}
WIDTHS |= {COL["choices_en"]: 24, COL["show_if"]: 34, COL["values"]: 16, COL["middle"]: 20}

TYPES = {"単一選択": "single", "複数選択": "multi", "段階評価": "scale", "自由記述": "text"}
RESIDENCY = {"町内在住": "resident", "町内に通勤・通学": "commuter", "町外在住": "outside"}
YES, NO = "はい", "いいえ"
LIST_SEPARATORS = r"[\n、,，]"  # between names in one cell (対象)
CHOICE_SEPARATORS = r"[,，]"  # between choices in a 表示条件 line
FULL_EQUALS = "＝"  # typed for = in 表示条件 and 途中のラベル
ITEM_JOIN = "・"  # the allowed items, in a problem

# the lists' error messages (Excel's data validation)
YES_NO_ERROR = "「はい」か「いいえ」を選んでください。"
TYPES_ERROR = "単一選択・複数選択・段階評価・自由記述から選んでください。"

SURVEY_HELP = {
    "ID": (
        "半角の英小文字・数字・ハイフン。"
        "同じ ID のブックを上げると、そのアンケートが更新されます。",
        "resident-2027",
    ),
    "タイトル": ("LINE のアンケート一覧に出る名前。", "町民アンケート 2027"),
    "タイトル（英語）": ("英語で使う人向け（空欄でもかまいません）。", "Resident survey 2027"),
    "説明": ("アンケートの最初に出る説明。", "まちの住みやすさについてお聞きします。"),
    "開始": ("受付開始の日時（日本時間）。", "2027-06-01 00:00"),
    "終了": ("受付終了の日時（日本時間）。", "2027-07-31 23:59"),
    "匿名": ("「はい」（空欄も同じ）なら、回答はだれのものか分かりません。", "はい"),
    "最低年齢": ("この年齢以上の人だけが答えます。空欄ならだれでも。", "16"),
    "対象": ("空欄ならだれでも。町内在住・町内に通勤・通学・町外在住から、1行に1つ。", "町内在住"),
    "説明（英語）": ("（この行はなくてもかまいません）説明の英語。", "About living in our town."),
    "所要時間（分）": (
        "（この行はなくてもかまいません）回答にかかる目安の分数。空欄なら質問数から計算します。",
        "3",
    ),
}
QUESTION_HELP = {
    "ID": (
        "質問の ID（半角）。空欄なら q1, q2, … と順に付きます。表示条件で使います。",
        "sumiyasusa",
    ),
    "種類": ("単一選択・複数選択・段階評価・自由記述から選びます。", "単一選択"),
    "質問文": ("LINE に出る質問。", "まちは住みやすいと思いますか"),
    "質問文（英語）": (
        "英語で使う人向け（空欄でもかまいません）。",
        "Is our town a good place to live?",
    ),
    "選択肢": (
        "単一選択・複数選択の選択肢。1行に1つ（Alt+Enter で改行）。",
        "住みやすい\nやや住みにくい\n住みにくい",
    ),
    "選択肢（英語）": (
        "選択肢と同じ行数で、同じ順に。空欄でもかまいません。",
        "Good\nNot so good\nBad",
    ),
    "必須": ("「はい」（空欄も同じ）か「いいえ」。いいえならスキップできます。", "はい"),
    "最大選択数": ("複数選択で選べる数の上限。", "3"),
    "最小": ("段階評価のいちばん小さい数。", "0"),
    "最大": ("段階評価のいちばん大きい数（最小から10段階まで）。", "10"),
    "最小ラベル": ("最小の数の意味。", "まったくそう思わない"),
    "最大ラベル": ("最大の数の意味。", "とてもそう思う"),
    "最大文字数": ("自由記述の文字数の上限（空欄なら500）。", "300"),
    "表示条件": (
        "前の質問の答えによって出すとき。「質問ID=選択肢,選択肢」を1行に1つ。すべて満たすと出ます。",
        "sumiyasusa=やや住みにくい,住みにくい",
    ),
    "選択肢の値": (
        "（なくてもかまいません）集計に使う選択肢の値（半角）。選択肢と同じ行数で。",
        "good\nfair\nbad",
    ),
    "最小ラベル（英語）": ("（なくてもかまいません）最小ラベルの英語。", "Not at all"),
    "最大ラベル（英語）": ("（なくてもかまいません）最大ラベルの英語。", "Very much"),
    "途中のラベル": (
        "（なくてもかまいません）最小と最大のあいだの数の意味。「数=ラベル」を1行に1つ。",
        "5=どちらともいえない",
    ),
    "途中のラベル（英語）": (
        "（なくてもかまいません）途中のラベルの英語。「数=ラベル」。",
        "5=Neither",
    ),
}


HELP_LINES = (
    "アンケートを Excel で作るブックです。アンケートシートと質問シートに書いて、コンソールの"
    "「Excel で作る」からアップロードします（このシートは読み込みません）。",
    "シート名と1行目の見出しは変えないでください。"
    "1つのセルに何行か書くときは Alt+Enter で改行します。",
    "問題があると「質問シート 5行目: …」のように、場所と直し方が表示されます。",
)
SURVEY_HELP_HEADS = ("アンケートシートの項目", "書き方", "例")
QUESTION_HELP_HEADS = ("質問シートの列", "書き方", "例")
EXAMPLE_TITLE = "例: 質問シートの1行（単一選択の質問）"
EXAMPLE_ROW = {
    COL["id"]: "sumiyasusa",
    COL["type"]: "単一選択",
    COL["text"]: "まちは住みやすいと思いますか",
    COL["text_en"]: "Is our town a good place to live?",
    COL["choices"]: "住みやすい\nやや住みにくい\n住みにくい",
    COL["choices_en"]: "Good\nNot so good\nBad",
    COL["required"]: "はい",
}
