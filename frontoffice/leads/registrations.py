"""What the leads app adds to the shell: navigation, search, personal data, panels."""
