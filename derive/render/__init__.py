"""Writers: one sandboxed Jinja2 environment factory and one writer per output format."""
