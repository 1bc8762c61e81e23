"""Documents for the room and for funders: QR posters, attendance sheets, participant lists."""
