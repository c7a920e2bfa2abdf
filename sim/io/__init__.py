"""Reading users' files (shop CSV exports, experiment exports) and the shipped data sets."""
