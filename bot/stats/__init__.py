"""Host analytics: the sampler of live Spaces, `/space stats` and the host's page (public: command, feature)."""
