"""Dr Cooper's renderer: exports and site builds from the warehouse."""
