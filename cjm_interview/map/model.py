"""The parts of a composite map: moments (the columns) and the stages above them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class StepGroup:
    """One moment of the composite journey: a column of the map."""

    key: str
    label: str
    members: list[int]  # indices of the steps told
    position: float = 0.0  # median relative place in the journeys (0 first, 1 last)
    edited: bool = False
    stage: str = ""  # key of its stage
    outcome: str = ""  # "went well" / "went badly" when a step was split by its grades
    aliases: list[str] = field(default_factory=list)  # keys it had before a rename
    # Steps placed in another moment whose other clause tells this one, of another stage
    # ("check-in was quick, the lounge was packed"): counted here too.
    also: list[int] = field(default_factory=list)
    # Its members, the closest to the moment's centre first: what shows it first (empty:
    # in the order told).
    typical: list[int] = field(default_factory=list)


@dataclass
class Stage:
    """A phase of the journey drawn as a band over its moments."""

    key: str
    label: str
    description: str = ""
    declared: bool = False  # from the script's ``stages:``, else found in the data
    order: float = 0.0
    edited: bool = False
    aliases: list[str] = field(default_factory=list)
    by_role: bool = False  # the role its steps play (``acts.ROLE_STAGES``), else found
