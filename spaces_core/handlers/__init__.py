"""Core handlers: the rules that cross features, registered on the message bus (`spaces_core.bus`) by
`bot/bootstrap/`. Each takes the ports it needs; none renders anything."""
