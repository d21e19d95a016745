-- The language each Telegram user reads the bot in: the code Telegram last reported for them
-- (`language_code`) and the one they chose with /language, which wins. Messages that are not
-- replies (reminders, notices) are rendered in it too.

CREATE TABLE user_languages (
    telegram_user_id INTEGER PRIMARY KEY,
    telegram_code    TEXT,              -- as Telegram reported it, e.g. 'es' or 'pt-br'
    chosen           TEXT,              -- set by /language; NULL = follow Telegram
    updated_at       INTEGER NOT NULL   -- epoch seconds, UTC
);
