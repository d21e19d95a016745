"""bookbot core: everything that is neither Telegram I/O nor SQL."""
