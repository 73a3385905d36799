"""Screens: start (interviewer), welcome (kiosk), the interview, and modals."""
