"""The composite journey map: many interviews aligned into one journey of stages and steps.

One module per job: ``journeys`` reads the sessions, ``vectors`` gives each step
a vector, ``align`` groups steps into the journey's moments, ``labels`` names
them, ``edits`` applies researchers' corrections, ``summary`` and ``quotes``
gather what each moment holds, and ``build`` runs them in order.
"""

from __future__ import annotations

from cjm_interview.map.align import AlignOptions
from cjm_interview.map.build import SCHEMA_VERSION, CompositeMap, build_map
from cjm_interview.map.edits import load_edits
from cjm_interview.map.journeys import Filters, Journey, Step, load_journeys, session_where
from cjm_interview.map.labels import slug

__all__ = [
    "SCHEMA_VERSION",
    "AlignOptions",
    "CompositeMap",
    "Filters",
    "Journey",
    "Step",
    "build_map",
    "load_edits",
    "load_journeys",
    "session_where",
    "slug",
]
