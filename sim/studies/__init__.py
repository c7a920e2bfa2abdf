"""One module per question a strategist asks; each returns a result object and prints nothing."""
