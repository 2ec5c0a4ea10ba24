"""Emails and texts from the templates next to this module.

Each template name of `NOTIFICATIONS`, `ACCOUNT_TEMPLATES` and `RESERVATION_TEMPLATES` has two files in `templates/`:

- `<name>.txt.j2`: the plain-text email (extending `_email.txt.j2`) and the blocks `subject`
  and, for the messages that also go by SMS, `sms`;
- `<name>.html.j2`: the HTML email (extending `_email.html.j2`), autoescaped.

The wording lives in the templates; `view.message_view` gives them the facts, already in the
recipient's time zone. A message about a therapist's account (`AccountNotice`) extends
`_account_email.*.j2` instead, with `view.account_view`'s facts and a link to the dashboard; so does a
message to a reserved client about their reservation (`ReservationNotice`), with `view.reservation_view`'s.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape

from therapy_booking.domain.notifications import AccountNotice, Email, Notice, ReservationNotice, Sms
from therapy_booking.notifications.calendar_invite import invitation
from therapy_booking.notifications.view import account_view, message_view, reservation_view
from therapy_booking.settings import NotificationSettings

TEMPLATES = Path(__file__).parent / "templates"


@cache
def environment() -> Environment:
    """Built on first use, once per process: templates compile as they are first needed."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,  # an included piece ends its line
    )


class TemplateRenderer:
    """The `Renderer` of notices: Jinja2 templates, and an iCalendar entry where the rule asks for one."""

    def __init__(self, settings: NotificationSettings) -> None:
        self._settings = settings

    def email(self, notice: Notice) -> Email:
        context = message_view(notice, self._settings).context()
        name = notice.rule.template
        text = environment().get_template(f"{name}.txt.j2")
        subject = one_line(render_block(text, "subject", context))
        html = environment().get_template(f"{name}.html.j2")
        invite = invitation(notice, self._settings)
        return Email(
            to=notice.recipient.email,
            subject=subject,
            text=text.render(context),
            html=html.render({**context, "subject": subject}),
            attachments=(invite,) if invite else (),
        )

    def account_email(self, notice: AccountNotice) -> Email:
        return plain_email(notice.recipient.email, notice.template, account_view(notice, self._settings).context())

    def reservation_email(self, notice: ReservationNotice) -> Email:
        context = reservation_view(notice, self._settings).context()
        return plain_email(notice.recipient.email, notice.template, context)

    def sms(self, notice: Notice) -> Sms:
        number = notice.recipient.sms_number
        if number is None:
            raise ValueError("the recipient has no number to text")
        template = environment().get_template(f"{notice.rule.template}.txt.j2")
        if "sms" not in template.blocks:
            raise ValueError(f"the template {notice.rule.template!r} has no SMS wording")
        context = message_view(notice, self._settings).context()
        return Sms(to=number, text=one_line(render_block(template, "sms", context)))


def plain_email(to: str, name: str, context: dict[str, object]) -> Email:
    """The email of template `name` (its subject, text and HTML), without attachments."""
    text = environment().get_template(f"{name}.txt.j2")
    subject = one_line(render_block(text, "subject", context))
    html = environment().get_template(f"{name}.html.j2")
    return Email(to=to, subject=subject, text=text.render(context), html=html.render({**context, "subject": subject}))


def render_block(template: Template, block: str, context: dict[str, object]) -> str:
    return "".join(template.blocks[block](template.new_context(context)))


def one_line(text: str) -> str:
    """A subject or a text message: the template's line breaks and indents are layout only."""
    return " ".join(text.split())
