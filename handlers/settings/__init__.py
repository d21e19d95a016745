"""/settings: admins run the business from chat (business, services, staff, hours and days
off, calendar events, bookings, admins, export, recent changes); staff's own /hours and
/dayoff use the same screens for themselves only.

Layout: `keys` (typed button data), `parse` (lenient reading of typed values with precise,
translated errors), `view` (what a screen is made of), `screens` and `catalog_screens` (every
menu screen: text and keyboard, current values shown),
`fields` (every typed value: its question, parser and the change it makes), `actions` (what
each button changes), `customers` (what customers are told of the business's changes to
their bookings), `conversation` (the wiring, persistent like the booking conversation,
with /settings, /hours and /dayoff); each role's command menu is `handlers.menus`.
"""
