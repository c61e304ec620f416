"""Genesis simulation bridge for SDR_OS."""
