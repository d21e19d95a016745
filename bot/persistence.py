"""python-telegram-bot persistence stored in the bot's own SQLite database.

Conversation states and user data are written through as PTB reports them, so a customer
halfway through a booking continues after a restart. Only JSON-serialisable data is kept.
"""

from __future__ import annotations

import copy
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from storage.ptb_store import PtbStore

UserData = dict[Any, Any]
ChatData = dict[Any, Any]
BotData = dict[Any, Any]


class SqlitePersistence(BasePersistence[UserData, ChatData, BotData]):
    """Keeps conversation states and user data in the `ptb_*` tables."""

    def __init__(self, store: PtbStore, *, update_interval: float = 1.0) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self._store = store

    async def get_user_data(self) -> dict[int, UserData]:
        return await self._store.data("user")

    async def get_chat_data(self) -> dict[int, ChatData]:
        return {}

    async def get_bot_data(self) -> BotData:
        return {}

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        return dict(await self._store.conversations(name))

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        await self._store.put_conversation(name, tuple(key), new_state)

    async def update_user_data(self, user_id: int, data: UserData) -> None:
        await self._store.put_data("user", user_id, copy.deepcopy(data))

    async def update_chat_data(self, chat_id: int, data: ChatData) -> None:
        return None

    async def update_bot_data(self, data: BotData) -> None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        await self._store.put_data("user", user_id, None)

    async def refresh_user_data(self, user_id: int, user_data: UserData) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: ChatData) -> None:
        return None

    async def refresh_bot_data(self, bot_data: BotData) -> None:
        return None

    async def flush(self) -> None:
        return None
