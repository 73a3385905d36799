"""Taggers that label free-text answers: touchpoints, sentiment, grade, emotions."""
