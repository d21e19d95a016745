"""The benches' business: a studio open every day 08:00-20:00, one 30-minute service."""

from __future__ import annotations

from pathlib import Path

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def business_file(folder: Path, staff: int) -> Path:
    """A setup file for a studio with `staff` staff members offering one service ("Cut")."""
    lines = [
        "[business]",
        'name = "Bench"',
        'timezone = "Europe/Helsinki"',
        "horizon_days = 30",
        "min_notice_minutes = 0",
        "slot_step_minutes = 30",
        'ask_phone = "optional"',
        'ask_email = "no"',
        "",
        "[[services]]",
        'id = "cut"',
        'name = "Cut"',
        "duration_minutes = 30",
        "price = 10",
    ]
    for i in range(staff):
        lines += [
            "",
            "[[staff]]",
            f'id = "s{i}"',
            f'name = "Staff {i:02d}"',
            'services = ["cut"]',
            "[staff.hours]",
            *(f'{d} = ["08:00-20:00"]' for d in DAYS),
        ]
    path = folder / "bench.toml"
    path.write_text("\n".join(lines) + "\n")
    return path
