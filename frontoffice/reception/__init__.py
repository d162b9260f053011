"""The reception desk: check-in, walk-ins and visitors, the live waiting room, the self check-in kiosk, prospective patients, visit feedback, complaints and the office manager's desk view."""
