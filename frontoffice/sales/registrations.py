"""What the sales app adds to the shell: navigation, search, personal data, panels."""
