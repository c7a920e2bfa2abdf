"""Running the model: one world per replication, policies over it, local or Dask backends, sweeps."""
