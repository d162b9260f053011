"""What the training app adds to the shell: navigation, search, personal data, panels."""
