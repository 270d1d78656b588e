"""Run the whole suite on one machine: `regal-sync up` and `regal-sync demo`."""
