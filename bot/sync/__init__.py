"""Calendar sync between the bot and Google (workers that run as parts of the runtime)."""
