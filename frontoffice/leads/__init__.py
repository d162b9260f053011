"""Lead intake (UI, web form, API, import), routing, first-contact clock, qualification and scoring."""
