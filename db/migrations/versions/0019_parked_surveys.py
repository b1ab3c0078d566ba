"""a parked survey as its own row; survey question states fixed, the question id in the data

A survey conversation kept the surveys a resident had left for another in `data["parked"]`
and named one state per question (`q.<id>`, `t.<id>`). Now each parked survey is a row of
`parked_surveys`, and a question is asked in the fixed state `question` (choice and scale) or
`free_text`, with the question's id in `data["q"]`; history entries carry the id likewise.

Revision ID: 0019_parked_surveys
Revises: 0018_event_queue
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0019_parked_surveys"
down_revision = "0018_event_queue"
branch_labels = None
depends_on = None

PREFIXES = {"q.": "question", "t.": "free_text"}
OLD = {v: k for k, v in PREFIXES.items()}

conversations = sa.table(
    "conversations",
    sa.column("id", sa.Integer),
    sa.column("resident_id", sa.Integer),
    sa.column("flow", sa.String),
    sa.column("state", sa.String),
    sa.column("status", sa.String),
    sa.column("step", sa.Integer),
    sa.column("data", sa.JSON),
    sa.column("history", sa.JSON),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
parked = sa.table(
    "parked_surveys",
    sa.column("resident_id", sa.Integer),
    sa.column("survey_id", sa.String),
    sa.column("state", sa.String),
    sa.column("data", sa.JSON),
    sa.column("history", sa.JSON),
    sa.column("parked_at", sa.DateTime(timezone=True)),
)


def _aware(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _fixed(state: str) -> tuple[str, str | None]:
    """`q.<id>` → (`question`, id); any other state stays, with no question."""
    for prefix, fixed in PREFIXES.items():
        if state.startswith(prefix):
            return fixed, state[len(prefix) :]
    return state, None


def _new_history(history: list) -> list:
    out = []
    for entry in history or []:
        if isinstance(entry, str):
            state, q = _fixed(entry)
            out.append({"state": state, "data": {"q": q}} if q is not None else entry)
        else:
            out.append(entry)
    return out


def _old_state(state: str, q: str | None) -> str:
    return OLD[state] + (q or "") if state in OLD else state


def _old_history(history: list) -> list:
    return [
        _old_state(e["state"], (e.get("data") or {}).get("q")) if isinstance(e, dict) else e
        for e in history or []
    ]


def upgrade() -> None:
    op.create_table(
        "parked_surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("parked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_parked_surveys_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parked_surveys")),
        sa.UniqueConstraint("resident_id", "survey_id", name=op.f("uq_parked_surveys_resident_id")),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(conversations).where(conversations.c.flow == "survey")).all()
    for row in rows:
        data = dict(row.data or {})
        for survey_id, saved in (data.pop("parked", None) or {}).items():
            state, q = _fixed(saved.get("state") or "")
            at = saved.get("at")
            bind.execute(
                parked.insert().values(
                    resident_id=row.resident_id,
                    survey_id=survey_id,
                    state=state,
                    data={
                        "q": q,
                        "answers": saved.get("answers") or {},
                        "profile": saved.get("profile") or {},
                        "code_hash": saved.get("code_hash"),
                    },
                    history=_new_history(saved.get("history")),
                    parked_at=_aware(at) if at else _aware(row.updated_at),
                )
            )
        state, q = _fixed(row.state or "")
        if q is not None:
            data["q"] = q
        bind.execute(
            conversations.update()
            .where(conversations.c.id == row.id)
            .values(state=state, data=data, history=_new_history(row.history))
        )


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(conversations).where(conversations.c.flow == "survey")).all()
    kept = {r.resident_id: r for r in rows}
    saved: dict[int, dict] = {}
    for p in bind.execute(sa.select(parked)).all():
        data = p.data or {}
        saved.setdefault(p.resident_id, {})[p.survey_id] = {
            "answers": data.get("answers") or {},
            "profile": data.get("profile") or {},
            "state": _old_state(p.state, data.get("q")),
            "history": _old_history(p.history),
            "code_hash": data.get("code_hash"),
            "at": _aware(p.parked_at).isoformat(),
        }
    for resident_id, surveys in saved.items():
        if resident_id not in kept:  # the finished row was deleted: one to hold them
            bind.execute(
                conversations.insert().values(
                    resident_id=resident_id,
                    flow="survey",
                    state="",
                    status="done",
                    step=0,
                    data={"parked": surveys},
                    history=[],
                    updated_at=datetime.now(UTC),
                )
            )
    for row in rows:
        data = dict(row.data or {})
        q = data.pop("q", None)
        if row.resident_id in saved:
            data["parked"] = saved[row.resident_id]
        bind.execute(
            conversations.update()
            .where(conversations.c.id == row.id)
            .values(
                state=_old_state(row.state or "", q),
                data=data,
                history=_old_history(row.history),
            )
        )
    op.drop_table("parked_surveys")
