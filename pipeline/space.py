"""The machine space (n states, m symbols, step limit S, 1-D or 2-D) and its numbering.

Machine number N is read as n*m base-b digits, b = m(2n+1) for a 1-D tape and
b = m(4n+1) for a 2-D grid (CTM.md, "Two-dimensional machines"). The least significant digit
is entry (n-1, 0), then (n-1, 1) ... (n-1, m-1), then (n-2, 0) ..., and the most
significant is entry (0, m-1), exactly as the reference simulator TMsimulator numbers
machines (see ../shared/CTM.md).

Machine text (busy-beaver style): one group per state, groups joined by '_', each group
the state's m entries in symbol order. An entry is three characters:
  ``1RB`` write 1, move Right, go to state B (states are A, B, C, ...); a 2-D machine
  also moves Up (``0UC``, y+1) and Down (``1DA``, y-1);
  ``1H-`` halt after writing 1 (the write happens, the head does not move);
  ``---`` an entry left free (its digit is not fixed, e.g. in a block of machines).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from pipeline.errors import CTMError

MAX_SYMBOLS = 10
STATE_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
FREE_TEXT = "---"
MOVES = {"R": 1, "L": -1, "U": 2, "D": -2}
"""Move letters and their codes in Entry.move: +-1 along x (1-D and 2-D), +-2 along y."""
MOVE_LETTER = {code: letter for letter, code in MOVES.items()}
DIRECTION_OF = {1: 0, -1: 1, 2: 2, -2: 3}
"""Entry.move -> the direction code of the numbering (0 Right, 1 Left, 2 Up, 3 Down)."""


BUSY_BEAVER_STEPS = {
    (2, 2): 6,
    (3, 2): 21,
    (4, 2): 107,
    (5, 2): 47_176_870,
    (2, 3): 38,
    (2, 4): 3_932_964,
}
"""(n, m) -> the most steps a halting 1-D machine of that space takes, halting step
included (CTM.md). All are proven: BB(5) = 47,176,870 by the bbchallenge collaboration
(2024, checked in Coq: Coq-BB5), BB(2,4) = 3,932,964 likewise (2024); the smaller ones by
Lin and Rado (1965), Brady (1983) and Lafitte and Papazian (2007). A machine still
running after that many steps never halts."""

BUSY_BEAVER_SOURCES = {
    (2, 2): "Rado (1962)",
    (3, 2): "Lin and Rado (1965)",
    (4, 2): "Brady (1983)",
    (
        5,
        2,
    ): "the bbchallenge collaboration (2024), 'Determination of the fifth Busy Beaver value', checked in Coq (Coq-BB5)",
    (2, 3): "Lafitte and Papazian (2007)",
    (2, 4): "the bbchallenge collaboration (2024), checked in Coq",
}
"""(n, m) -> who proved its BUSY_BEAVER_STEPS value (cited in no-cutoff tables' manifests)."""


class SpaceError(CTMError, ValueError):
    """A space, range or machine that does not exist; the message names the value."""


class Entry(NamedTuple):
    """One decoded transition: halt (move 0) or write/move/goto."""

    write: int
    move: int  # +1 Right, -1 Left, +2 Up, -2 Down (2-D only), 0 halt
    goto: int  # next state; -1 for halt

    @property
    def halts(self) -> bool:
        return self.move == 0


@dataclass(frozen=True)
class Space:
    """The space of n-state, m-symbol machines on a 1-D tape or a 2-D grid, run for at
    most ``max_steps`` steps."""

    states: int
    """n, the number of (non-halting) states; at least 1."""
    symbols: int
    """m, the number of tape symbols; 2 to 10 so outputs print as digits."""
    max_steps: int
    """S, the step limit: a machine not halted after S steps counts as non-halting."""
    dims: int = 1
    """1 for a tape (moves L, R), 2 for a grid (moves L, R, U, D)."""

    def __post_init__(self) -> None:
        for name in ("states", "symbols", "max_steps", "dims"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise SpaceError(f"{name} should be an integer, got {value!r}")
        if self.states < 1:
            raise SpaceError(f"states should be at least 1, got {self.states}")
        if not 2 <= self.symbols <= MAX_SYMBOLS:
            raise SpaceError(f"symbols should be between 2 and {MAX_SYMBOLS}, got {self.symbols}")
        if self.max_steps < 1:
            raise SpaceError(f"max_steps should be a positive integer, got {self.max_steps}")
        if self.dims not in (1, 2):
            raise SpaceError(f"dims should be 1 (a tape) or 2 (a grid), got {self.dims}")
        if self.states > len(STATE_LETTERS):
            raise SpaceError(f"states should be at most {len(STATE_LETTERS)}, got {self.states}")

    @property
    def directions(self) -> int:
        """Moves an entry can make: 2 on a tape, 4 on a grid."""
        return 2 * self.dims

    @property
    def base(self) -> int:
        """B = m(2n+1) on a tape, m(4n+1) on a grid: the choices for one entry."""
        return self.symbols * (self.directions * self.states + 1)

    @property
    def entries(self) -> int:
        """n*m: the number of entries (digits) of a machine."""
        return self.states * self.symbols

    @property
    def size(self) -> int:
        """b^(n*m): how many machines the space holds."""
        return self.base**self.entries

    @property
    def label(self) -> str:
        grid = " 2-D" if self.dims == 2 else ""
        return f"({self.states},{self.symbols}){grid} S={self.max_steps}"

    def position(self, state: int, symbol: int) -> int:
        """Digit position (0 = least significant) of entry (state, symbol)."""
        return (self.states - 1 - state) * self.symbols + symbol

    def check_number(self, number: int) -> None:
        """Raise SpaceError unless 0 <= number < size."""
        if isinstance(number, bool) or not isinstance(number, int):
            raise SpaceError(f"machine number should be an integer, got {number!r}")
        if not 0 <= number < self.size:
            raise SpaceError(
                f"machine number {number} is outside the space {self.label}, which holds 0 to {self.size - 1}"
            )

    def check_range(self, start: int, stop: int) -> None:
        """Raise SpaceError unless [start, stop) is a (possibly empty) range of the space."""
        for name, value in (("start", start), ("stop", stop)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise SpaceError(f"{name} should be an integer, got {value!r}")
        if start < 0:
            raise SpaceError(f"start should be at least 0, got {start}")
        if stop > self.size:
            raise SpaceError(f"stop {stop} is past the end of the space {self.label}, which holds {self.size} machines")
        if start > stop:
            raise SpaceError(f"start {start} is after stop {stop}")

    # --- digits -------------------------------------------------------------------

    def digits(self, number: int) -> list[int]:
        """The digit of every entry, indexed by entry e = state*m + symbol."""
        self.check_number(number)
        b, out = self.base, [0] * self.entries
        for pos in range(self.entries):
            number, out[self.entry_at(pos)] = divmod(number, b)
        return out

    def number(self, digits: list[int]) -> int:
        """Inverse of ``digits``: the machine number of per-entry digits."""
        if len(digits) != self.entries:
            raise SpaceError(f"a machine of {self.label} has {self.entries} entries, got {len(digits)}")
        total = 0
        for pos in reversed(range(self.entries)):
            digit = digits[self.entry_at(pos)]
            if not 0 <= digit < self.base:
                raise SpaceError(f"digit {digit} is outside 0..{self.base - 1}")
            total = total * self.base + digit
        return total

    def entry_at(self, pos: int) -> int:
        """Entry index (state*m + symbol) of digit position ``pos``."""
        state = self.states - 1 - pos // self.symbols
        return state * self.symbols + pos % self.symbols

    def decode_digit(self, digit: int) -> Entry:
        """What a digit value means (CTM.md 'Machine numbering')."""
        m = self.symbols
        if digit < m:
            return Entry(digit, 0, -1)
        rest = digit - m
        code = rest // m
        direction = code % self.directions
        move = (1, -1, 2, -2)[direction]
        return Entry(rest % m, move, (code // self.directions) % self.states)

    def encode_entry(self, entry: Entry) -> int:
        """Inverse of ``decode_digit``."""
        m = self.symbols
        if not 0 <= entry.write < m:
            raise SpaceError(f"write symbol {entry.write} is outside 0..{m - 1}")
        if entry.move == 0:
            return entry.write
        if not 0 <= entry.goto < self.states:
            raise SpaceError(f"state {entry.goto} is outside 0..{self.states - 1}")
        if entry.move not in DIRECTION_OF or DIRECTION_OF[entry.move] >= self.directions:
            raise SpaceError(f"move {entry.move} is not a move of a {self.dims}-D machine")
        code = self.directions * entry.goto + DIRECTION_OF[entry.move]
        return m + code * m + entry.write

    def table(self, number: int) -> list[Entry]:
        """The transition table of machine ``number``, indexed by state*m + symbol."""
        return [self.decode_digit(d) for d in self.digits(number)]

    # --- text ---------------------------------------------------------------------

    def text(self, number: int) -> str:
        """Machine text such as ``1RB1H-_0LA1RB``."""
        return self.text_of_digits(self.digits(number))

    def text_of_digits(self, digits: list[int | None]) -> str:
        """Machine text of per-entry digits; None marks a free entry (``---``)."""
        groups = []
        for state in range(self.states):
            parts = []
            for symbol in range(self.symbols):
                digit = digits[state * self.symbols + symbol]
                if digit is None:
                    parts.append(FREE_TEXT)
                    continue
                e = self.decode_digit(digit)
                if e.halts:
                    parts.append(f"{e.write}H-")
                else:
                    parts.append(f"{e.write}{MOVE_LETTER[e.move]}{STATE_LETTERS[e.goto]}")
            groups.append("".join(parts))
        return "_".join(groups)

    def parse_text(self, text: str) -> list[int | None]:
        """Per-entry digits of a machine text (None for ``---``); errors name the entry."""
        groups = text.strip().split("_")
        if len(groups) != self.states:
            raise SpaceError(f"machine text {text!r} has {len(groups)} state groups, {self.label} needs {self.states}")
        digits: list[int | None] = []
        for state, group in enumerate(groups):
            if len(group) != 3 * self.symbols:
                raise SpaceError(
                    f"state {STATE_LETTERS[state]} of {text!r} should have {self.symbols} "
                    f"three-character entries, got {group!r}"
                )
            for symbol in range(self.symbols):
                digits.append(self._parse_entry(group[3 * symbol : 3 * symbol + 3], text))
        return digits

    def _parse_entry(self, item: str, text: str) -> int | None:
        if item == FREE_TEXT:
            return None
        w, mv, st = item
        if not w.isdigit() or int(w) >= self.symbols:
            raise SpaceError(f"entry {item!r} of {text!r} writes an unknown symbol")
        if mv == "H":
            return self.encode_entry(Entry(int(w), 0, -1))
        letters = "RLUD"[: self.directions]
        if mv not in letters or st not in STATE_LETTERS[: self.states]:
            like = "1RB, 0LA, 1H- or ---" if self.dims == 1 else "1RB, 0LA, 1UC, 0DA, 1H- or ---"
            raise SpaceError(f"entry {item!r} of {text!r} is not like {like}")
        return self.encode_entry(Entry(int(w), MOVES[mv], STATE_LETTERS.index(st)))

    def number_of_text(self, text: str) -> int:
        """Machine number of a complete machine text."""
        digits = self.parse_text(text)
        if any(d is None for d in digits):
            raise SpaceError(f"machine text {text!r} leaves entries free; a number needs all")
        return self.number(digits)  # type: ignore[arg-type]
