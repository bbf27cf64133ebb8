"""The caseworker's agenda and the pages of one booking, above the calendars, booking and video."""
