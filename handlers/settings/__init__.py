"""/settings: admins run the business from chat (business, services, staff, hours and days
off, calendar events, admins, export, recent changes); staff's own /hours and /dayoff.

Layout: `keys` (typed button data), `parse` (lenient reading of typed values with precise,
translated errors), `values` (how current values are shown), `screens` (every menu screen:
text + keyboard), `fields` (every typed value: its prompt, parser and the change it makes),
`conversation` (the wiring, persistent like the booking conversation), `staff_self` (/hours,
/dayoff), and `handlers.menus` (each role's command menu).
"""
