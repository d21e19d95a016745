"""The customer's booking conversation, split by step.

`menu` (states, the paged services list, starting over), `browse` (service, staff, day and
time buttons), `contact` (the draft and the name/phone/e-mail text steps), `summary`,
`confirm` (book it, or leave), `draft` (the typed draft kept in user data) and
`conversation` (the wiring).
"""

from handlers.booking.confirm import abort, confirm_outside
from handlers.booking.conversation import booking_conversation
from handlers.booking.menu import SERVICE_PAYLOAD

__all__ = ["SERVICE_PAYLOAD", "abort", "booking_conversation", "confirm_outside"]
