"""What the rfps app adds to the shell: navigation, search, personal data, panels."""
