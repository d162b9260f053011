"""What the reception app adds to the shell: navigation, search, personal data, panels."""
