"""Chat replies for staff linking their LINE account to get the digest. 日本語 first, then English.

The digest itself is staff wording in Japanese: messages/digest.py.
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
