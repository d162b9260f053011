"""What the insights app adds to the shell: navigation, panels."""
