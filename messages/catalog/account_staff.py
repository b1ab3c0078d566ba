"""Staff-facing wording of the console's sign-in, own account and staff pages. JA, then EN.

The console shows the Japanese (bot/console/auth.py, bot/console/staff.py).
"""

JA = {
    "account.login_failed": "メールアドレスまたはパスワードが違います。",
    "account.inactive": "このアカウントは無効になっています。管理者にお問い合わせください。",
    "account.signed_out": "ログアウトしました。",
    "account.signed_out_everywhere": "すべての端末からサインアウトしました。",
    "account.confirm_mismatch": "新しいパスワードが確認用と一致しません。",
    "account.refused": "{reason}。",
    "account.locked": (
        "パスワードの入力に続けて失敗したため、一時的にログインできません。"
        "{until} 以降にお試しください。"
    ),
    "account.wrong_password": "今のパスワードが違います。",
    "account.password_changed": "パスワードを変更しました。",
    "account.staff_added": "{email} を追加しました。",
    "account.staff_role": "{email} の権限を変更しました。",
    "account.staff_enabled": "{email} を有効にしました。",
    "account.staff_disabled": "{email} を無効にしました。",
    "account.staff_password": "{email} のパスワードを変更しました。",
}

EN = {
    "account.login_failed": "The e-mail address or the password is wrong.",
    "account.inactive": "This account is disabled. Please ask an administrator.",
    "account.signed_out": "Signed out.",
    "account.signed_out_everywhere": "Signed out on every device.",
    "account.confirm_mismatch": "The new password and its confirmation differ.",
    "account.refused": "{reason}.",
    "account.locked": (
        "Too many wrong passwords in a row: signing in is paused. Try again after {until}."
    ),
    "account.wrong_password": "The current password is wrong.",
    "account.password_changed": "Password changed.",
    "account.staff_added": "{email} added.",
    "account.staff_role": "{email}: role changed.",
    "account.staff_enabled": "{email} enabled.",
    "account.staff_disabled": "{email} disabled.",
    "account.staff_password": "{email}: password changed.",
}
