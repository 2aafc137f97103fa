"""The HTTP server, authentication, settings, command line and metadata migrations."""
