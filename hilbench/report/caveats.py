"""What an emulated timing figure is, in words, for every table and report.

One place, because the words differ by timing source and must never claim silicon time:
`qemu_icount` figures are instruction counts shown at the board's nominal clock (in both
protocols: hilbench's firmware counts MLPerf Tiny's `m-lap-us` that way under QEMU); a
DUT's own timer (`dut_timer_us`) on an emulated board that is not hilbench's firmware
ticks on QEMU's virtual time, where one instruction takes 1 ns (-icount shift=0).
"""

from __future__ import annotations


def emulated_note(timing_source: str | None, clocks: str | None = None) -> str:
    """A sentence for figures measured on an emulated board; `clocks` e.g. "25 MHz"."""
    if timing_source in (None, "qemu_icount"):
        at = f" at the board's nominal clock ({clocks})" if clocks else " at the board's nominal clock"
        return (
            f"emulated ({timing_source or 'qemu_icount'}): cycles are QEMU instruction counts (-icount shift=0, "
            f"one instruction = one cycle) and times are those counts{at}; exact and repeatable, not silicon time"
        )
    return (
        f"emulated ({timing_source}): the DUT's own timer running on QEMU's virtual time (-icount shift=0: one "
        f"instruction = 1 ns); exact and repeatable, not silicon time"
    )


def emulated_short(timing_source: str | None, clocks: str | None = None) -> str:
    """The same in a few words, for chart captions."""
    if timing_source in (None, "qemu_icount"):
        return (
            "emulated: QEMU instruction counts (qemu_icount)"
            + (f" at the nominal {clocks}" if clocks else "")
            + ", not silicon time"
        )
    return f"emulated: the DUT's timer ({timing_source}) on QEMU virtual time, not silicon time"
