"""Wording for digest (staff linking their LINE account). 日本語 first, then English.

Not yet listed in messages/catalog/__init__.py:AREAS (a shared file); messages/digest.py
reads these dicts directly until it is.
"""

JA = {
    "digest.linked": (
        "職員アカウント（{email}）とこのLINEを連携しました。週次ダイジェストをこちらにお届けします。"
    ),
    "digest.bad_code": (
        "連携コードが正しくないか、有効期限（24時間）が切れています。"
        "管理者に新しいコードを発行してもらってください。"
    ),
}

EN = {
    "digest.linked": (
        "This LINE account is now linked to the staff account {email}. "
        "The weekly digest will arrive here."
    ),
    "digest.bad_code": (
        "That link code is wrong or has expired (codes last 24 hours). "
        "Please ask an administrator for a new one."
    ),
}
