"""Messages that are not direct replies: one durable queue in the database, a planner that
fills it (booking changes, reminders, daily agendas), and a dispatcher that sends what is
due within Telegram's bulk limits (see `bot.notify.dispatcher`)."""
