"""The whole booking journey in each shipped language, the language picked from Telegram's
language_code, /language remembered, and English for a language without a catalog."""

from __future__ import annotations

from datetime import date

import pytest
from icalendar import Calendar

from bot.app import BotRuntime
from tests.e2e.flows import WAIT, say, tap
from tests.e2e.harness import buttons
from tests.fakes.telegram import FakeTelegram
from tests.week import TUESDAY

# What a customer sees in each language; written out here, not read from the catalogs.
JOURNEY = {
    "es": {
        "greeting": "¡Hola, Ana! 👋 Gestiono las reservas de",
        "haircut": "Corte de pelo · 1 h · 45,00\xa0€",
        "who": "¿Con quién quieres la cita?",
        "weekday": "Ma",
        "times": "Horas libres el martes, 24 de noviembre",
        "zone": "hora de Helsinki",
        "share": "📱 Compartir mi contacto",
        "skip_email": "Omitir el correo",
        "check": "Revisa tu reserva",
        "policy": "Cancelación gratuita hasta el lun, 23 nov, 13:00.",
        "confirm": "✅ Confirmar la reserva",
        "booked": "¡Reserva hecha!",
        "when": "mar, 24 nov 2026, 13:00",
        "caption": "Abre este archivo para añadir la reserva a tu calendario.",
        "mine": "Tus próximas reservas",
        "tomorrow": "mañana",
    },
    "fi": {
        "greeting": "Hei Ana! 👋 Otan vastaan varauksia yritykselle",
        "haircut": "Haircut · 1 h · 45,00\xa0€",  # no Finnish name in the setup file
        "who": "Kenelle haluat ajan?",
        "weekday": "Ti",
        "times": "Vapaat ajat tiistai 24. marraskuuta",
        "zone": "aikavyöhyke: Helsinki",
        "time": "13.00",
        "share": "📱 Jaa yhteystietoni",
        "skip_email": "Ohita sähköposti",
        "check": "Tarkista varauksesi",
        "policy": "Maksuton peruutus ma 23.11. 13.00 asti.",
        "confirm": "✅ Vahvista varaus",
        "booked": "Varaus on tehty!",
        "when": "ti 24.11.2026 13.00",
        "caption": "Avaa tämä tiedosto lisätäksesi varauksen kalenteriisi.",
        "mine": "Tulevat varauksesi",
        "tomorrow": "huomenna",
    },
    "ru": {
        "greeting": "Здравствуйте, Ana! 👋 Я записываю в",
        "haircut": "Стрижка · 1 ч · 45,00\xa0€",
        "who": "К кому вы хотите записаться?",
        "weekday": "Вт",
        "times": "Свободное время на вторник, 24 ноября",
        "zone": "часовой пояс: Хельсинки",
        "share": "📱 Отправить мой контакт",
        "skip_email": "Пропустить e-mail",
        "check": "Проверьте запись",
        "policy": "Бесплатная отмена до пн, 23 нояб., 13:00.",
        "confirm": "✅ Подтвердить запись",
        "booked": "Вы записаны!",
        "when": "вт, 24 нояб. 2026\u202fг., 13:00",
        "caption": "Откройте этот файл, чтобы добавить запись в свой календарь.",
        "mine": "Ваши предстоящие записи",
        "tomorrow": "завтра",
    },
}


def _test_week_is_the_default() -> bool:
    return date(2026, 11, 24) == TUESDAY


@pytest.mark.parametrize("code", sorted(JOURNEY))
async def test_the_whole_journey_in_each_language(
    tg: FakeTelegram, bot: BotRuntime, code: str
) -> None:
    words = JOURNEY[code]
    ana = tg.user(9100 + len(code) + ord(code[0]), first_name="Ana", language_code=code)
    menu = await say(tg, ana, "/start")
    assert words["greeting"] in menu["text"]
    staff = await tap(tg, ana, menu, words["haircut"])  # named as the setup file translates it
    assert words["who"] in staff["text"]
    if code == "ru":
        assert "Мытьё, стрижка и укладка" in staff["text"]
    week = await tap(tg, ana, staff, "Anna")
    day = f"{words['weekday']} {TUESDAY.day}"
    assert day in buttons(week)
    times = await say(tg, ana, words["tomorrow"])  # typed, in the customer's language
    assert words["zone"] in times["text"]
    if _test_week_is_the_default():
        assert words["times"] in times["text"]
    phone = await tap(tg, ana, times, words.get("time", "13:00"))
    keyboard = tg.keyboard(ana.id)
    assert keyboard is not None and keyboard["keyboard"][0][0]["text"] == words["share"]
    assert phone["text"]
    mark = tg.mark()
    await tg.send_contact(ana, "+34600123456")
    email = await tg.next_message(
        ana.id, since=mark, predicate=lambda m: words["skip_email"] in buttons(m), timeout=WAIT
    )
    summary = await tap(tg, ana, email, words["skip_email"])
    assert words["check"] in summary["text"]
    if _test_week_is_the_default():
        assert words["policy"] in summary["text"] and words["when"] in summary["text"]
    mark = tg.mark()
    await tg.press(ana, summary, text=words["confirm"])
    await tg.wait_for("sendDocument", chat_id=ana.id, since=mark, timeout=WAIT)
    confirmation = await tg.wait_for(
        ("sendMessage", "editMessageText"),
        chat_id=ana.id,
        since=mark,
        timeout=WAIT,
        predicate=lambda c: words["booked"] in str(c.params.get("text", "")),
    )
    assert "45,00\xa0€" in str(confirmation.params["text"])
    assert words["haircut"].split(" · ")[0] in str(confirmation.params["text"])  # translated
    document = tg.documents(ana.id)[-1]
    assert tg.calls("sendDocument", chat_id=ana.id)[-1].params["caption"] == words["caption"]
    event = Calendar.from_ical(document.data).walk("VEVENT")[0]
    assert [str(a["ACTION"]) for a in event.walk("VALARM")] == ["DISPLAY", "DISPLAY"]
    assert document.file_name is not None and document.file_name.endswith("-1300.ics")
    listing = await say(tg, ana, "/mybookings")
    assert words["mine"] in listing["text"]
    assert words["haircut"].split(" · ")[0] in listing["text"]


async def test_language_is_chosen_and_remembered(tg: FakeTelegram, bot: BotRuntime) -> None:
    ivan = tg.user(9201, first_name="Ivan", language_code="ru")
    assert "Что я умею" in (await say(tg, ivan, "/help"))["text"]
    picker = await say(tg, ivan, "/language")
    assert "Русский" in picker["text"]
    assert {"English", "Español", "✅ Как в моём приложении Telegram"} <= set(buttons(picker))
    done = await tap(tg, ivan, picker, "English")
    assert "I will speak English with you" in done["text"]
    assert "What I can do" in (await say(tg, ivan, "/help"))["text"]
    assert "✅ English" in buttons(await say(tg, ivan, "/language"))
    # Back to following Telegram's language.
    picker = await say(tg, ivan, "/language")
    done = await tap(tg, ivan, picker, "Same as my Telegram app")
    assert "Русский" in done["text"]
    assert "Что я умею" in (await say(tg, ivan, "/help"))["text"]


async def test_a_language_without_a_catalog_gets_the_business_default(
    tg: FakeTelegram, bot: BotRuntime
) -> None:
    kai = tg.user(9202, first_name="Kai", language_code="de")
    assert "What I can do" in (await say(tg, kai, "/help"))["text"]
    unknown = tg.user(9203, first_name="Zed", language_code="xx-YY")
    assert "What I can do" in (await say(tg, unknown, "/help"))["text"]
