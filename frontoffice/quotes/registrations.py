"""What the quotes app adds to the shell: navigation, search, personal data, panels."""
