"""Dr Cooper's bot: collect, read, understand, validate and store contributions."""
