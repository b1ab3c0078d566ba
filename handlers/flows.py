"""Import every flow and keyword module so that they register themselves."""

from handlers import (  # noqa: F401
    chat,
    digest,
    event_content,
    mydata,
    notify,
    onboarding,
    opinion,
    plan,
    plan_results,
    population,
    rsvp,
    staff_link,
    survey,
    survey_code,
)
