"""The validated scenario file: pydantic models of the YAML and its loader; no behaviour."""
