"""Bookable resources, working hours and absences, appointment types, day and week calendars, booking without double booking, confirmations and reminders."""
