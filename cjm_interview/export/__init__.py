"""Exports of the composite journey map: html, json, csv, md, mermaid."""

from __future__ import annotations
