"""What the appointments app adds to the shell: navigation, search, personal data, panels."""
