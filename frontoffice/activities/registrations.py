"""What the activities app adds to the shell: navigation, search, personal data, panels."""
